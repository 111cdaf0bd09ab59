"""Escrow money moves for one order, each one balanced ledger transaction plus the order's own
bookkeeping (paid / refunded / released), written together under the order's row lock.

Accounts: the payment provider's clearing account (external), escrow, the supplier's available
balance and the platform's commission. References are derived from the order, so a retried call
finds the transaction already posted and changes nothing.
"""

from __future__ import annotations

from django.db.models import F

from huoyuan.core.services import audit_record_many
from huoyuan.ledger.contracts import AccountKind, AccountRef, Posting, TransactionKind
from huoyuan.ledger.services import transaction_post
from huoyuan.orders.models import Order, TradeSettings


def _clearing(order: Order) -> AccountRef:
    return AccountRef(AccountKind.PROVIDER_CLEARING, order.currency, key=order.payment_method)


def _escrow(order: Order) -> AccountRef:
    return AccountRef(AccountKind.ESCROW, order.currency)


def _audit(order: Order, action: str, amount: int, actor_id: int | None, **extra: object) -> None:
    audit_record_many(
        [
            {
                "action": action,
                "object_type": "order",
                "object_id": order.pk,
                "actor_id": actor_id,
                "organization_id": order.supplier_id,
                "before": None,
                "after": {"amount_minor": amount, "currency": order.currency, **extra},
            }
        ]
    )


def escrow_capture(order: Order, *, payment_reference: str) -> bool:
    """The order's total moves from the provider's clearing account into escrow."""
    amount = order.total_minor
    if amount == 0:
        return False
    _txn, created = transaction_post(
        kind=TransactionKind.PAYMENT_CAPTURE,
        reference=f"capture:{order.pk}",
        memo=f"{order.number} paid ({payment_reference})",
        postings=[
            Posting(_clearing(order), -amount, order.pk),
            Posting(_escrow(order), amount, order.pk),
        ],
    )
    if created:
        Order.objects.filter(pk=order.pk).update(paid_minor=F("paid_minor") + amount)
        order.paid_minor += amount
        _audit(order, "escrow.capture", amount, None, payment=payment_reference)
    return created


def escrow_refund(order: Order, *, amount: int, actor_id: int | None, tag: str = "") -> bool:
    """Part or all of what escrow holds for the order goes back to the buyer (via the provider)."""
    if amount <= 0:
        return False
    if amount > order.escrow_minor:
        raise ValueError("refund beyond escrow")
    _txn, created = transaction_post(
        kind=TransactionKind.REFUND,
        reference=f"refund:{order.pk}{tag}",
        memo=f"{order.number} refund",
        created_by_id=actor_id,
        postings=[
            Posting(_escrow(order), -amount, order.pk),
            Posting(_clearing(order), amount, order.pk),
        ],
    )
    if created:
        Order.objects.filter(pk=order.pk).update(refunded_minor=F("refunded_minor") + amount)
        order.refunded_minor += amount
        _audit(order, "escrow.refund", amount, actor_id)
    return created


def commission_for(amount: int, *, rate_bp: int) -> int:
    """The platform's cut, rounded half up to the minor unit."""
    return (amount * rate_bp + 5_000) // 10_000


def escrow_release(order: Order, *, actor_id: int | None) -> bool:
    """What escrow still holds for the order goes to the supplier, minus the commission."""
    amount = order.escrow_minor
    if amount <= 0:
        return False
    settings = TradeSettings.objects.get_or_create(pk=1)[0]
    commission = commission_for(amount, rate_bp=settings.commission_rate_bp)
    _txn, created = transaction_post(
        kind=TransactionKind.RELEASE,
        reference=f"release:{order.pk}",
        memo=f"{order.number} released",
        created_by_id=actor_id,
        postings=[
            Posting(_escrow(order), -amount, order.pk),
            Posting(
                AccountRef(
                    AccountKind.SUPPLIER_AVAILABLE,
                    order.currency,
                    organization_id=order.supplier_id,
                ),
                amount - commission,
                order.pk,
            ),
            Posting(
                AccountRef(AccountKind.PLATFORM_COMMISSION, order.currency), commission, order.pk
            ),
        ],
    )
    if created:
        Order.objects.filter(pk=order.pk).update(
            released_minor=F("released_minor") + amount,
            commission_minor=F("commission_minor") + commission,
        )
        order.released_minor += amount
        order.commission_minor += commission
        _audit(order, "escrow.release", amount, actor_id, commission_minor=commission)
    return created
