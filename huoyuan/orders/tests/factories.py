"""Helpers that drive the trade loop through its services, as a buyer and a supplier would.

``place`` checks out and leaves the orders waiting for payment; ``capture`` and ``fail`` bring the
provider's answer; ``paid_order``, ``shipped_order`` and ``completed_order`` take one supplier's
order that far.
"""

from __future__ import annotations

from typing import Any

from django.test import TestCase

from huoyuan.accounts.contracts import Actor
from huoyuan.catalogue.models import Product, Sku
from huoyuan.orders import services
from huoyuan.orders.models import Address, Order
from huoyuan.payments import services as payments
from huoyuan.payments.models import Payment
from huoyuan.payments.sandbox import deliver, event_body


def address_for(actor: Actor, **overrides: Any) -> Address:
    values: dict[str, Any] = {
        "recipient": "王小明",
        "phone": "+86 138 0000 0000",
        "city": "杭州",
        "province": "浙江",
        "street": "文三路 100 号",
    }
    values.update(overrides)
    return services.address_create(actor=actor, data=services.AddressInput(**values))


def sku_of(product: Product, code: str | None = None) -> Sku:
    skus = Sku.objects.filter(product=product).order_by("position", "pk")
    return skus.get(code=code) if code else skus.first()  # type: ignore[return-value]


def place(
    buyer: Actor,
    items: list[tuple[Sku, int]] | list[tuple[Sku, int, str]],
    *,
    method: str = "sandbox",
    address: Address | None = None,
    notes: dict[int, str] | None = None,
) -> payments.Submitted:
    """Fill the cart and check out (the whole cart)."""
    for item in items:
        sku, quantity = item[0], item[1]
        kind = item[2] if len(item) > 2 else "wholesale"  # type: ignore[misc]
        services.cart_add(actor=buyer, sku_id=sku.pk, quantity=quantity, kind=kind)
    quote = services.cart_quote(actor=buyer)
    return payments.checkout_submit(
        actor=buyer,
        address_id=(address or address_for(buyer)).pk,
        payment_method=method,
        quote_token=quote.token,
        notes=notes,
    )


def capture(payment: Payment) -> str:
    """The sandbox provider reports success (signed, through the webhook handler)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return deliver(event_body(payment, "payment.succeeded"))


def fail(payment: Payment) -> str:
    """The sandbox provider reports a failure (signed, through the webhook handler)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return deliver(event_body(payment, "payment.failed"))


def orders_of(submitted: payments.Submitted) -> list[Order]:
    return list(Order.objects.filter(pk__in=submitted.order_ids).order_by("pk"))


Items = list[tuple[Sku, int]]


def paid_order(buyer: Actor, items: Items, *, address: Address | None = None) -> Order:
    """The buyer orders ``items`` (all from one supplier) and pays by card."""
    submitted = place(buyer, items, address=address)
    capture(submitted.payment)
    (order,) = orders_of(submitted)
    return order


def shipped_order(
    buyer: Actor, seller: Actor, items: Items, *, address: Address | None = None
) -> Order:
    """A paid order that the supplier shipped in full, in one parcel."""
    order = paid_order(buyer, items, address=address)
    services.order_ship(actor=seller, order_id=order.pk, carrier="SF", tracking_number="SF1")
    order.refresh_from_db()
    return order


def completed_order(
    buyer: Actor, seller: Actor, items: Items, *, address: Address | None = None
) -> Order:
    """A shipped order whose receipt the buyer confirmed: escrow released to the supplier."""
    order = shipped_order(buyer, seller, items, address=address)
    services.order_confirm_receipt(actor=buyer, order_id=order.pk)
    order.refresh_from_db()
    return order
