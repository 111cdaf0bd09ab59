"""What the payment pages share: the organization kinds they serve and the status of a refusal."""

from __future__ import annotations

from huoyuan.accounts.contracts import OrganizationKind
from huoyuan.core.errors import DomainError

BUYER = OrganizationKind.BUYER
SUPPLIER = OrganizationKind.SUPPLIER
OPERATOR = OrganizationKind.OPERATOR


def status_of(error: DomainError) -> int:
    return error.status if 400 <= error.status < 500 else 400
