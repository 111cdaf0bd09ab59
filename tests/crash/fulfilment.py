"""After payment: shipping (some partial), receipt or a refund request, refund decisions, sweeps."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from huoyuan.orders import services as orders
from huoyuan.orders.models import Order, OrderLine
from tests.crash.trader import Trader


class FulfilmentActions(Trader):
    def ship(self) -> bool | None:
        order = self.pick(Order.objects.filter(status="paid"))
        if order is None:
            return False
        quantities = None
        if self.rng.random() < 0.25:
            line = OrderLine.objects.filter(order=order).order_by("pk").first()
            if line is not None and line.to_ship >= 2:
                quantities = {line.pk: line.to_ship // 2}
        shipment = self.call(
            orders.order_ship,
            actor=self.by_org[order.supplier_id],
            order_id=order.pk,
            carrier="SF Express",
            tracking_number=f"SF{order.pk}",
            quantities=quantities,
        )
        if shipment:
            self.write("shipped", order.pk, "partial" if quantities else "full")
        return None

    def receive(self) -> bool | None:
        order = self.pick(Order.objects.filter(status="shipped"))
        if order is None:
            return False
        buyer = self.by_org[order.buyer_id]
        if self.rng.random() < 0.75:
            if self.call(orders.order_confirm_receipt, actor=buyer, order_id=order.pk):
                self.write("received", order.pk)
            return None
        amount = order.escrow_minor if self.rng.random() < 0.5 else max(1, order.escrow_minor // 3)
        if self.call(
            orders.order_request_refund,
            actor=buyer,
            order_id=order.pk,
            amount_minor=amount,
            reason="two bowls arrived broken",
        ):
            self.write("refund_requested", order.pk)
        return None

    def refund_decide(self) -> bool | None:
        order = self.pick(Order.objects.filter(status="refund_requested"))
        if order is None:
            return False
        supplier = self.by_org[order.supplier_id]
        if self.rng.random() < 0.3:
            if self.call(
                orders.order_decline_refund,
                actor=supplier,
                order_id=order.pk,
                reason="photos unclear",
            ):
                self.write("declined", order.pk)
            return None
        resolved = self.call(
            orders.order_resolve_refund,
            actor=supplier,
            order_id=order.pk,
            amount_minor=order.refund_requested_minor,
        )
        if resolved:
            self.write("resolved", order.pk, resolved.status)
        return None

    def sweep(self) -> None:
        """The scheduled jobs, run as if their time had come."""
        now = timezone.now()
        if self.rng.random() < 0.5:
            count = self.call(orders.orders_expire_due, now=now + timedelta(days=4), limit=2)
            self.write("expired", count)
        else:
            count = self.call(orders.orders_auto_confirm_due, now=now + timedelta(days=61), limit=2)
            self.write("auto_confirmed", count)
