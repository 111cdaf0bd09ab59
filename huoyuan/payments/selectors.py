from __future__ import annotations

from django.db.models import QuerySet

from huoyuan.accounts.contracts import Actor
from huoyuan.payments.contracts import PaymentStatus, PayoutStatus, Provider
from huoyuan.payments.errors import NotFound
from huoyuan.payments.models import Payment, Payout, PayoutAccount


def payment_get_for_buyer(*, actor: Actor, reference: str) -> Payment:
    payment = Payment.objects.filter(reference=reference, buyer_id=actor.organization_id).first()
    if payment is None:
        raise NotFound()
    return payment


def payment_for_checkout(*, checkout_id: int) -> Payment | None:
    """The captured payment of a checkout, else its newest attempt."""
    payments = Payment.objects.filter(checkout_id=checkout_id)
    return (
        payments.filter(status=PaymentStatus.CAPTURED).first() or payments.order_by("-pk").first()
    )


def bank_transfers_pending() -> QuerySet[Payment]:
    return (
        Payment.objects.filter(provider=Provider.BANK_TRANSFER, status=PaymentStatus.PENDING)
        .select_related("buyer")
        .order_by("pk")
    )


def payout_list_for_supplier(*, actor: Actor) -> QuerySet[Payout]:
    return Payout.objects.filter(supplier_id=actor.organization_id).order_by("-pk")


def payout_list_for_operator(*, status: str | None = None) -> QuerySet[Payout]:
    qs = Payout.objects.select_related("supplier").order_by("-pk")
    if status in PayoutStatus.values:
        qs = qs.filter(status=status)
    return qs


def payout_account_for(*, actor: Actor) -> PayoutAccount | None:
    return PayoutAccount.objects.filter(supplier_id=actor.organization_id).first()
