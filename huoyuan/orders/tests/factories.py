"""Helpers that drive the trade loop through its services, as a buyer and a supplier would."""

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


def orders_of(submitted: payments.Submitted) -> list[Order]:
    return list(Order.objects.filter(pk__in=submitted.order_ids).order_by("pk"))
