"""What every trade page module shares: the organization kinds, the status enum's short name, and
how a page tells htmx requests and a service's error status apart."""

from __future__ import annotations

from django.http import HttpRequest

from huoyuan.accounts.contracts import OrganizationKind
from huoyuan.core.errors import DomainError
from huoyuan.orders.contracts import OrderStatus

BUYER = OrganizationKind.BUYER
SUPPLIER = OrganizationKind.SUPPLIER
S = OrderStatus


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _status_of(error: DomainError) -> int:
    return error.status if 400 <= error.status < 500 else 400
