"""The trade loop's objects for the authorization matrix: buyer_x's orders at supplier_a in each
status, payments, a payout, a review, an address and a cart line. Built only for rows that use
them (``World.trade``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.test import TestCase

from huoyuan.catalogue.models import Product, Sku
from huoyuan.orders import services as orders
from huoyuan.orders.models import Address, CartLine, Order, Review
from huoyuan.orders.tests.factories import address_for, capture, place
from huoyuan.payments import services as payments
from huoyuan.payments.models import Payment, Payout

if TYPE_CHECKING:
    from conftest import Person


@dataclass
class TradeWorld:
    sku_a: Sku
    address_x: Address
    cart_line_x: CartLine
    order_pending: Order  # awaiting payment (sandbox)
    payment_pending: str  # its payment reference
    order_paid: Order
    order_shipped: Order
    order_refund: Order  # refund requested
    order_completed: Order  # not reviewed yet
    review_a: Review  # on another completed order
    payment_bank: str  # a bank transfer awaiting the operator's match
    payout_a: Payout  # supplier_a's payout, requested


def _paid(submitted: payments.Submitted) -> Order:
    capture(submitted.payment)
    return Order.objects.get(pk=submitted.order_ids[0])


def build_trade(cast: dict[str, Person], product_a: Product) -> TradeWorld:
    supplier_a, buyer_x = cast["supplier_a"].actor, cast["buyer_x"].actor
    assert supplier_a is not None
    assert buyer_x is not None
    sku_a = Sku.objects.filter(product=product_a).order_by("position", "pk").first()
    assert sku_a is not None
    address = address_for(buyer_x)

    def buy(method: str = "sandbox") -> payments.Submitted:
        return place(buyer_x, [(sku_a, 2)], method=method, address=address)

    def ship(order: Order) -> None:
        orders.order_ship(
            actor=supplier_a, order_id=order.pk, carrier="SF Express", tracking_number="SF100"
        )

    with TestCase.captureOnCommitCallbacks(execute=True):
        reviewed = _paid(buy())
        ship(reviewed)
        orders.order_confirm_receipt(actor=buyer_x, order_id=reviewed.pk)
        review = orders.review_create(
            actor=buyer_x,
            order_id=reviewed.pk,
            scores={"quality": 5, "accuracy": 4, "shipping_speed": 5, "communication": 4},
            text="Good bowls",
        )
        payments.payout_account_set(
            actor=supplier_a,
            holder_name="supplier_a Co.",
            bank_name="Bank of Ningbo",
            account_number="6222000011112222",
        )
        payout = payments.payout_request(actor=supplier_a)
        completed = _paid(buy())
        ship(completed)
        orders.order_confirm_receipt(actor=buyer_x, order_id=completed.pk)
        refund = _paid(buy())
        ship(refund)
        orders.order_request_refund(
            actor=buyer_x, order_id=refund.pk, amount_minor=100, reason="One bowl arrived broken"
        )
        shipped = _paid(buy())
        ship(shipped)
        paid = _paid(buy())
        pending = buy()
        bank = buy("bank_transfer")
        cart_line = orders.cart_add(actor=buyer_x, sku_id=sku_a.pk, quantity=5)
    return TradeWorld(
        sku_a=sku_a,
        address_x=address,
        cart_line_x=cart_line,
        order_pending=Order.objects.get(pk=pending.order_ids[0]),
        payment_pending=pending.payment.reference,
        order_paid=paid,
        order_shipped=Order.objects.get(pk=shipped.pk),
        order_refund=Order.objects.get(pk=refund.pk),
        order_completed=Order.objects.get(pk=completed.pk),
        review_a=review,
        payment_bank=bank.payment.reference,
        payout_a=payout,
    )


def payment_of(reference: str) -> Payment:
    return Payment.objects.get(reference=reference)
