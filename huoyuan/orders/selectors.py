"""Reads of the orders app; every one takes the acting organization (tenants are walled)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from huoyuan.accounts.contracts import Actor
from huoyuan.catalogue import selectors as catalogue
from huoyuan.orders.contracts import ESCROW_STATUSES, OrderStatus
from huoyuan.orders.errors import NotFound
from huoyuan.orders.models import Address, Order, OrderEvent, OrderLine, Review, Shipment

# The supplier inbox's tabs.
INBOX_FILTERS: dict[str, Q] = {
    "all": Q(),
    "unpaid": Q(status=OrderStatus.PENDING_PAYMENT),
    "to_ship": Q(status=OrderStatus.PAID),
    "shipped": Q(status=OrderStatus.SHIPPED),
    "refunds": Q(status=OrderStatus.REFUND_REQUESTED),
    "closed": Q(
        status__in=[
            OrderStatus.COMPLETED,
            OrderStatus.CANCELLED,
            OrderStatus.REFUNDED,
            OrderStatus.PARTLY_REFUNDED,
        ]
    ),
}


def sku_from_product_page(*, product_id: int, sku_id: int | None, sku_code: str) -> Any:
    """The SKU a product page's form names: by id (the sample form), or by product and code (the
    quote form; no code: the first SKU). Only published products; anything else is not found."""
    if sku_id:
        sku = catalogue.sku_get_public(sku_id=sku_id)
        if sku.product_id != product_id:
            raise NotFound()
        return sku
    skus = list(catalogue.product_get_public(product_id=product_id).skus.all())
    chosen = next((s for s in skus if s.code == sku_code), None)
    if chosen is None and not sku_code and skus:
        chosen = skus[0]
    if chosen is None:
        raise NotFound()
    return chosen


def _list(qs: QuerySet[Order]) -> QuerySet[Order]:
    return qs.prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("pk"))
    ).order_by("-pk")


def order_list_for_buyer(*, actor: Actor, status: str = "all") -> QuerySet[Order]:
    qs = Order.objects.filter(buyer_id=actor.organization_id).select_related("supplier")
    return _list(qs.filter(INBOX_FILTERS.get(status, Q())))


def order_list_for_supplier(*, actor: Actor, status: str = "all") -> QuerySet[Order]:
    qs = Order.objects.filter(supplier_id=actor.organization_id).select_related("buyer")
    return _list(qs.filter(INBOX_FILTERS.get(status, Q())))


def order_get(*, actor: Actor, order_id: int) -> Order:
    """An order with everything its page shows; the buyer's, the supplier's, or any (operator)."""
    qs = Order.objects.filter(pk=order_id)
    if not actor.is_operator:
        qs = qs.filter(Q(buyer_id=actor.organization_id) | Q(supplier_id=actor.organization_id))
    order = (
        qs.select_related("buyer", "supplier", "review")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("pk")),
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("pk")),
            Prefetch(
                "shipments",
                queryset=Shipment.objects.prefetch_related("lines__line").order_by("pk"),
            ),
        )
        .first()
    )
    if order is None:
        raise NotFound()
    return order


def orders_of_checkout(*, checkout_id: int) -> list[Order]:
    return list(Order.objects.filter(checkout_id=checkout_id).order_by("pk"))


def escrow_held(*, currency: str) -> int:
    """What open orders hold in escrow: must equal the ledger's escrow balance."""
    total = 0
    for paid, refunded, released in Order.objects.filter(currency=currency).values_list(
        "paid_minor", "refunded_minor", "released_minor"
    ):
        total += paid - refunded - released
    return total


def escrow_statuses() -> frozenset[str]:
    return ESCROW_STATUSES


def address_list(*, actor: Actor) -> QuerySet[Address]:
    return Address.objects.filter(buyer_id=actor.organization_id).order_by("-is_default", "-pk")


def address_get(*, actor: Actor, address_id: int) -> Address:
    address = Address.objects.filter(pk=address_id, buyer_id=actor.organization_id).first()
    if address is None:
        raise NotFound()
    return address


def review_list_for_supplier(*, supplier_id: int) -> QuerySet[Review]:
    """Public: a supplier's reviews, newest first (buyers shown by organization name only)."""
    return Review.objects.filter(supplier_id=supplier_id).select_related("buyer").order_by("-pk")


def order_currency(*, actor: Actor, order_id: int) -> str:
    """The currency of an order the actor may see (to parse amounts typed for it)."""
    qs = Order.objects.filter(pk=order_id)
    if not actor.is_operator:
        qs = qs.filter(Q(buyer_id=actor.organization_id) | Q(supplier_id=actor.organization_id))
    currency = qs.values_list("currency", flat=True).first()
    if currency is None:
        raise NotFound()
    return currency
