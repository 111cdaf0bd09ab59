"""Money coming in: signed sandbox webhooks (twice, late, out of order, replayed) and bank
transfers matched by the operator."""

from __future__ import annotations

from typing import Any

from huoyuan.payments import services as payments
from huoyuan.payments.adapters import SIGNATURE_HEADER, sign
from huoyuan.payments.models import Payment
from huoyuan.payments.sandbox import event_body
from tests.crash.trader import Trader


class PayingActions(Trader):
    def deliver(self, payment: Any, event_type: str) -> None:
        body = event_body(payment, event_type)
        result = self.call(
            payments.webhook_receive,
            provider="sandbox",
            body=body,
            headers={SIGNATURE_HEADER: sign(body), "Content-Type": "application/json"},
        )
        if result is not None:
            # "captured; 2 orders paid, 0 refunded (late)" -> captured, "payment failed" -> failed
            outcome = result.split(";")[0].split(":")[0].removeprefix("payment ")
            self.write("webhook", payment.reference, event_type, outcome.replace(" ", "_"))

    def webhooks(self) -> bool | None:
        payment = self.pick(
            Payment.objects.filter(provider="sandbox", status__in=["pending", "processing"])
        )
        if payment is None:
            return False
        outcome = "payment.succeeded" if self.rng.random() < 0.85 else "payment.failed"
        events = ["payment.processing", outcome] if self.rng.random() < 0.7 else [outcome]
        if self.rng.random() < 0.2:
            events.reverse()  # the result before "processing"
        if self.rng.random() < 0.2:
            events.append(outcome)  # delivered twice
        for event_type in events:
            self.deliver(payment, event_type)
        return None

    def replay(self) -> bool | None:
        """An old delivery again: the provider retries what it believes we did not get."""
        payment = self.pick(Payment.objects.filter(provider="sandbox", status="captured"))
        if payment is None:
            return False
        self.deliver(payment, "payment.succeeded")
        return None

    def bank_match(self) -> bool | None:
        payment = self.pick(Payment.objects.filter(provider="bank_transfer", status="pending"))
        if payment is None:
            return False
        if self.call(
            payments.bank_transfer_match,
            actor=self.operator,
            reference=payment.reference,
            amount_minor=payment.amount_minor,
            bank_reference=f"BANK{payment.pk}",
        ):
            self.write("matched", payment.reference)
        return None
