"""Buyers' actions before shipping: checkout, giving up or retrying after a failed payment,
cancelling."""

from __future__ import annotations

from huoyuan.orders import services as orders
from huoyuan.orders.models import Order, OrderLine
from huoyuan.payments import services as payments
from huoyuan.payments.models import Payment
from tests.crash.trader import Trader


class CheckoutActions(Trader):
    def checkout(self) -> None:
        buyer = self.rng.choice(self.buyers)
        for _i in range(self.rng.randint(1, 3)):
            sku = self.rng.choice(self.skus)
            self.call(orders.cart_add, actor=buyer, sku_id=sku, quantity=self.rng.randint(1, 30))
        quote = orders.cart_quote(actor=buyer)
        if not quote.lines:
            return
        if not quote.ok:  # a scarce SKU ran out: empty the cart and go on
            for line in quote.lines:
                self.call(orders.cart_remove, actor=buyer, line_id=line.line_id)
            return
        submitted = self.call(
            payments.checkout_submit,
            actor=buyer,
            address_id=self.addresses[buyer.organization_id],
            payment_method="bank_transfer" if self.rng.random() < 0.15 else "sandbox",
            quote_token=quote.token,
        )
        if submitted is None:
            for line in orders.cart_quote(actor=buyer).lines:
                self.call(orders.cart_remove, actor=buyer, line_id=line.line_id)
            return
        numbers = dict(Order.objects.filter(pk__in=submitted.order_ids).values_list("pk", "number"))
        placed = ",".join(f"{pk}:{numbers[pk]}" for pk in submitted.order_ids)
        self.write("placed", submitted.payment.reference, submitted.payment.amount_minor, placed)

    def after_failure(self) -> bool | None:
        """A card payment failed: give up some or all of the orders, try again for the rest."""
        live = Payment.objects.filter(status__in=["pending", "processing", "captured"])
        failed = Payment.objects.filter(status="failed").exclude(
            checkout_id__in=live.values("checkout_id")
        )
        payment = self.pick(
            failed.filter(
                checkout_id__in=Order.objects.filter(status="pending_payment").values("checkout_id")
            )
        )
        if payment is None:
            return False
        buyer = self.by_org[payment.buyer_id]
        waiting = list(
            Order.objects.filter(checkout_id=payment.checkout_id, status="pending_payment")
        )
        retry = self.rng.random() < 0.6
        for order in waiting[: self.rng.randint(0, len(waiting) - 1)] if retry else waiting:
            if self.call(
                orders.order_cancel, actor=buyer, order_id=order.pk, reason="payment failed"
            ):
                self.write("cancelled", order.pk)
        if retry:
            retried = self.call(payments.payment_retry, actor=buyer, reference=payment.reference)
            if retried:
                self.write("retried", retried.reference, retried.amount_minor)
        return None

    def cancel(self) -> bool | None:
        """A buyer gives up an order: unpaid (its payment may still arrive: refunded late), or
        paid and not shipped (refunded from escrow)."""
        status = self.rng.choice(["pending_payment", "paid"])
        shipped = OrderLine.objects.filter(shipped_quantity__gt=0).values("order_id")
        order = self.pick(Order.objects.filter(status=status).exclude(pk__in=shipped))
        if order is None:
            return False
        actor = self.by_org[order.buyer_id]
        if self.call(orders.order_cancel, actor=actor, order_id=order.pk, reason="changed my mind"):
            self.write("cancelled", order.pk)
        return None
