from __future__ import annotations

from django.db.models import Q

from huoyuan.accounts.contracts import Actor
from huoyuan.orders.errors import NotFound
from huoyuan.orders.models import Order


def order_lock(*, order_id: int, actor: Actor | None = None) -> Order:
    """Lock one order; with an actor, only the buyer's or the supplier's own (else not found)."""
    rows = Order.objects.select_for_update().filter(pk=order_id)
    if actor is not None and not actor.is_operator:
        rows = rows.filter(Q(buyer_id=actor.organization_id) | Q(supplier_id=actor.organization_id))
    order = rows.first()
    if order is None:
        raise NotFound()
    return order


def orders_lock(*, order_ids: list[int]) -> list[Order]:
    """Lock several orders in primary-key order (no deadlocks)."""
    return list(Order.objects.select_for_update().filter(pk__in=order_ids).order_by("pk"))
