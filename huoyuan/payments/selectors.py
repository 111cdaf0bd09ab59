from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery

from huoyuan.accounts.contracts import Actor
from huoyuan.ledger.contracts import AccountKind
from huoyuan.ledger.selectors import balances_for_organization
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
    """Payouts with the supplier's current payout account (the operator pays to it)."""
    account = PayoutAccount.objects.filter(supplier_id=OuterRef("supplier_id"))
    qs = (
        Payout.objects.select_related("supplier")
        .annotate(
            account_holder=Subquery(account.values("holder_name")[:1]),
            account_bank=Subquery(account.values("bank_name")[:1]),
            account_number=Subquery(account.values("account_number")[:1]),
        )
        .order_by("-pk")
    )
    if status in PayoutStatus.values:
        qs = qs.filter(status=status)
    return qs


def payout_account_for(*, actor: Actor) -> PayoutAccount | None:
    return PayoutAccount.objects.filter(supplier_id=actor.organization_id).first()


def payment_currency(*, reference: str) -> str | None:
    """The currency of a payment, to parse an amount typed for it (None: no such payment)."""
    return (
        Payment.objects.filter(reference=reference.strip().upper())
        .values_list("currency", flat=True)
        .first()
    )


@dataclass(frozen=True, slots=True)
class SupplierBalance:
    currency: str
    available_minor: int
    payout_pending_minor: int


def supplier_balances(*, actor: Actor) -> list[SupplierBalance]:
    """What the platform owes the actor's organization, per currency: available to pay out, and
    already asked for (requested payouts not yet paid)."""
    totals: dict[str, dict[str, int]] = {}
    for account in balances_for_organization(organization_id=actor.organization_id):
        row = totals.setdefault(account.currency, {"available": 0, "pending": 0})
        if account.kind == AccountKind.SUPPLIER_AVAILABLE:
            row["available"] += account.balance_minor
        elif account.kind == AccountKind.SUPPLIER_PAYOUT_PENDING:
            row["pending"] += account.balance_minor
    return [
        SupplierBalance(currency, row["available"], row["pending"])
        for currency, row in sorted(totals.items())
    ]
