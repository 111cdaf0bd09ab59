"""Payments: one per checkout, captured by a provider's webhook or a matched bank transfer;
supplier payouts. Each entry point owns its transaction (CONVENTIONS: outermost service)."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from huoyuan.accounts.contracts import MANAGER_ROLES, Actor
from huoyuan.core.services import audit_record
from huoyuan.ledger.contracts import AccountKind, AccountRef, Posting, TransactionKind
from huoyuan.ledger.selectors import account_balance
from huoyuan.ledger.services import transaction_post
from huoyuan.notifications.services import Notice, notify_many
from huoyuan.orders import selectors as orders_selectors
from huoyuan.orders import services as orders
from huoyuan.orders.contracts import OrderStatus
from huoyuan.payments.adapters import ProviderEvent, adapter_for
from huoyuan.payments.contracts import STATUS_RANK, PaymentStatus, PayoutStatus, Provider
from huoyuan.payments.errors import (
    AmountMismatch,
    Conflict,
    NotFound,
    PermissionDenied,
    SignatureInvalid,
    ValidationFailed,
)
from huoyuan.payments.models import Payment, Payout, PayoutAccount, WebhookEvent

log = logging.getLogger(__name__)
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def _reference() -> str:
    return "PAY" + "".join(secrets.choice(REFERENCE_ALPHABET) for _i in range(10))


@dataclass(frozen=True, slots=True)
class Submitted:
    payment: Payment
    order_ids: list[int]
    next_url: str


def checkout_submit(
    *,
    actor: Actor,
    address_id: int,
    payment_method: str,
    quote_token: str,
    notes: dict[int, str] | None = None,
) -> Submitted:
    """Place the cart's orders and open one payment for all of them, all or nothing."""
    if payment_method not in Provider.values:
        raise ValidationFailed(_("Choose a payment method."), field="payment_method")
    with transaction.atomic():
        placed = orders.checkout_place(
            actor=actor,
            address_id=address_id,
            payment_method=payment_method,
            quote_token=quote_token,
            notes=notes,
        )
        payment = Payment.objects.create(
            reference=_reference(),
            checkout_id=placed.checkout.pk,
            buyer_id=actor.organization_id,
            provider=payment_method,
            amount_minor=placed.checkout.total_minor,
            currency=placed.checkout.currency,
        )
    return Submitted(
        payment=payment,
        order_ids=[o.pk for o in placed.orders],
        next_url=adapter_for(payment.provider).next_url(payment),
    )


def payment_retry(*, actor: Actor, reference: str) -> Payment:
    """A failed card payment may be tried again while its orders still wait for payment."""
    with transaction.atomic():
        old = (
            Payment.objects.select_for_update()
            .filter(reference=reference, buyer_id=actor.organization_id)
            .first()
        )
        if old is None:
            raise NotFound()
        if old.status != PaymentStatus.FAILED:
            raise Conflict(_("Only a failed payment can be tried again."))
        # Lock every attempt of the checkout: two retries (a double click) must not both open a
        # payment, or the buyer could pay twice and the second capture would have nowhere to go.
        attempts = list(
            Payment.objects.select_for_update()
            .filter(checkout_id=old.checkout_id)
            .order_by("pk")
            .values_list("status", flat=True)
        )
        if any(status != PaymentStatus.FAILED for status in attempts):
            raise Conflict(
                _("This checkout already has a payment in progress; finish or wait for that one.")
            )
        waiting = [
            o
            for o in orders_selectors.orders_of_checkout(checkout_id=old.checkout_id)
            if o.status == OrderStatus.PENDING_PAYMENT
        ]
        if not waiting:
            raise Conflict(_("These orders no longer wait for payment."))
        return Payment.objects.create(
            reference=_reference(),
            checkout_id=old.checkout_id,
            buyer_id=old.buyer_id,
            provider=old.provider,
            amount_minor=sum(o.total_minor for o in waiting),
            currency=old.currency,
        )


# --- provider events ------------------------------------------------------------------------


def _apply(payment: Payment, *, status: str, external_reference: str = "") -> str:
    """Move a locked payment forward; a stale or repeated status changes nothing."""
    if STATUS_RANK[PaymentStatus(status)] <= STATUS_RANK[PaymentStatus(payment.status)]:
        return f"ignored: payment is already {payment.status}"
    payment.status = status
    fields = ["status"]
    if external_reference:
        payment.external_reference = external_reference[:80]
        fields.append("external_reference")
    if status == PaymentStatus.CAPTURED:
        payment.captured_at = timezone.now()
        fields.append("captured_at")
    payment.save(update_fields=fields)
    if status != PaymentStatus.CAPTURED:
        return f"payment {status}"
    # A retried payment is for the orders still waiting when it was opened (payment_retry): one
    # cancelled before then is not in its amount, so it must not be captured and "refunded late"
    # from it (tests/test_crash_safety.py found the books capturing more than the payment).
    order_ids = [
        o.pk
        for o in orders_selectors.orders_of_checkout(checkout_id=payment.checkout_id)
        if o.closed_at is None or o.closed_at >= payment.created_at
    ]
    # A matched bank transfer is the operator's act: the orders' history names who matched it.
    late = orders.orders_mark_paid(
        order_ids=order_ids,
        payment_reference=payment.reference,
        operator_id=payment.matched_by_id,
    )
    audit_record(
        action="payment.captured",
        object_type="payment",
        object_id=payment.reference,
        actor_id=payment.matched_by_id,
        organization_id=payment.buyer_id,
        after={"amount_minor": payment.amount_minor, "currency": payment.currency},
    )
    if late:
        notify_many(
            [
                Notice(
                    organization_id=payment.buyer_id,
                    verb="payment.refunded_late",
                    message=gettext_noop(
                        "Payment %(reference)s arrived after some orders had expired; "
                        "their share was refunded."
                    ),
                    params={"reference": payment.reference},
                )
            ]
        )
    return f"captured; {len(order_ids) - len(late)} orders paid, {len(late)} refunded (late)"


def _record_invalid(provider: str, body: bytes) -> None:
    WebhookEvent.objects.create(
        provider=provider,
        signature_valid=False,
        payload=body[:20000].decode("utf-8", "replace"),
        result="refused: bad signature",
    )


def webhook_receive(*, provider: str, body: bytes, headers: dict[str, str]) -> str:
    """Verify and apply one webhook delivery; a repeated event is acknowledged and ignored."""
    if provider not in Provider.values:
        raise NotFound()
    try:
        event = adapter_for(provider).verify(body=body, headers=headers)
    except SignatureInvalid:
        log.warning("%s webhook refused: bad signature (%s bytes)", provider, len(body))
        _record_invalid(provider, body)
        raise
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(
                    provider=provider,
                    event_id=event.event_id,
                    event_type=event.event_type,
                    payment_reference=event.payment_reference,
                    signature_valid=True,
                    payload=body[:20000].decode("utf-8", "replace"),
                )
        except IntegrityError:
            WebhookEvent.objects.filter(
                provider=provider, event_id=event.event_id, signature_valid=True
            ).update(deliveries=F("deliveries") + 1)
            return "duplicate"
        record.result = _apply_event(provider, event)[:200]
        record.save(update_fields=["result"])
        return record.result


def _apply_event(provider: str, event: ProviderEvent) -> str:
    payment = (
        Payment.objects.select_for_update()
        .filter(reference=event.payment_reference, provider=provider)
        .first()
    )
    if payment is None:
        return "ignored: unknown payment"
    status = event.status
    if status is None:
        return f"ignored: event type {event.event_type}"
    if status == PaymentStatus.CAPTURED and (
        event.amount_minor != payment.amount_minor or event.currency != payment.currency
    ):
        log.error("payment %s: captured amount differs from the order", payment.reference)
        return "refused: amount differs"
    return _apply(payment, status=status, external_reference=event.event_id)


def bank_transfer_match(
    *, actor: Actor, reference: str, amount_minor: int, bank_reference: str
) -> Payment:
    """The operator saw the transfer arrive: it pays the checkout's orders."""
    if not actor.is_operator:
        raise PermissionDenied()
    bank_reference = (bank_reference or "").strip()
    if not bank_reference or len(bank_reference) > 80:
        raise ValidationFailed(
            _("Enter the bank's reference of the transfer."), field="bank_reference"
        )
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .filter(reference=reference.strip().upper(), provider=Provider.BANK_TRANSFER)
            .first()
        )
        if payment is None:
            raise ValidationFailed(
                _("No bank-transfer payment has this reference."), field="reference"
            )
        if payment.status != PaymentStatus.PENDING:
            raise Conflict(_("This payment was already matched or closed."))
        if amount_minor != payment.amount_minor:
            raise AmountMismatch(
                _(
                    "The transfer is for a different amount than the payment expects; "
                    "contact the buyer before matching it."
                ),
                field="amount",
            )
        payment.matched_by_id = actor.user_id
        payment.save(update_fields=["matched_by"])
        _apply(payment, status=PaymentStatus.CAPTURED, external_reference=bank_reference)
    return payment


# --- payouts ----------------------------------------------------------------------------------


def _require_supplier_manager(actor: Actor) -> None:
    if not actor.is_supplier:
        raise PermissionDenied(_("Switch to your supplier organization to do this."))
    if actor.role not in MANAGER_ROLES:
        raise PermissionDenied(_("Only the owner or an admin may manage payouts."))


def payout_account_set(
    *, actor: Actor, holder_name: str, bank_name: str, account_number: str
) -> PayoutAccount:
    _require_supplier_manager(actor)
    values = {
        "holder_name": (holder_name or "").strip(),
        "bank_name": (bank_name or "").strip(),
        "account_number": "".join((account_number or "").split()),
    }
    for name, limit in (("holder_name", 120), ("bank_name", 120), ("account_number", 40)):
        if not values[name] or len(values[name]) > limit:
            raise ValidationFailed(
                _("Fill this in (at most %(n)s characters).") % {"n": limit}, field=name
            )
    if not values["account_number"].isalnum():
        raise ValidationFailed(
            _("An account number has letters and digits only."), field="account_number"
        )
    with transaction.atomic():
        account = (
            PayoutAccount.objects.select_for_update()
            .filter(supplier_id=actor.organization_id)
            .first()
        )
        before = (
            {
                "holder_name": account.holder_name,
                "bank_name": account.bank_name,
                "account_number": account.masked_number,
            }
            if account
            else None
        )
        account = account or PayoutAccount(supplier_id=actor.organization_id)
        for name, value in values.items():
            setattr(account, name, value)
        account.save()
        audit_record(
            action="payout_account.set",
            object_type="payout_account",
            object_id=account.pk,
            actor_id=actor.user_id,
            organization_id=actor.organization_id,
            before=before,
            after={
                "holder_name": account.holder_name,
                "bank_name": account.bank_name,
                "account_number": account.masked_number,
            },
        )
    return account


def payout_request(*, actor: Actor, currency: str = "CNY") -> Payout:
    """Ask to be paid the whole available balance in ``currency``."""
    _require_supplier_manager(actor)
    with transaction.atomic():
        if not PayoutAccount.objects.filter(supplier_id=actor.organization_id).exists():
            raise ValidationFailed(_("Add the bank account for payouts first."))
        available = AccountRef(AccountKind.SUPPLIER_AVAILABLE, currency, actor.organization_id)
        pending = AccountRef(AccountKind.SUPPLIER_PAYOUT_PENDING, currency, actor.organization_id)
        # Posting locks the balance row; re-read the amount under that lock via the posting.
        amount = account_balance(ref=available)
        if amount <= 0:
            raise Conflict(_("There is no available balance to pay out."))
        payout = Payout.objects.create(
            supplier_id=actor.organization_id,
            amount_minor=amount,
            currency=currency,
            requested_by_id=actor.user_id,
        )
        transaction_post(
            kind=TransactionKind.PAYOUT_REQUEST,
            reference=f"payout:{payout.pk}:request",
            memo=f"payout {payout.pk} requested",
            created_by_id=actor.user_id,
            postings=[Posting(available, -amount), Posting(pending, amount)],
        )
        audit_record(
            action="payout.request",
            object_type="payout",
            object_id=payout.pk,
            actor_id=actor.user_id,
            organization_id=actor.organization_id,
            after={"amount_minor": amount, "currency": currency},
        )
    return payout


def payout_mark_paid(*, actor: Actor, payout_id: int, reference: str) -> Payout:
    if not actor.is_operator:
        raise PermissionDenied()
    reference = (reference or "").strip()
    if not reference or len(reference) > 80:
        raise ValidationFailed(_("Enter the bank reference of the payout."), field="reference")
    with transaction.atomic():
        payout = Payout.objects.select_for_update().filter(pk=payout_id).first()
        if payout is None:
            raise NotFound()
        if payout.status != PayoutStatus.REQUESTED:
            raise Conflict(_("This payout is already marked paid."))
        pending = AccountRef(
            AccountKind.SUPPLIER_PAYOUT_PENDING, payout.currency, payout.supplier_id
        )
        sent = AccountRef(AccountKind.PAYOUTS_SENT, payout.currency)
        transaction_post(
            kind=TransactionKind.PAYOUT_PAID,
            reference=f"payout:{payout.pk}:paid",
            memo=f"payout {payout.pk} paid ({reference})",
            created_by_id=actor.user_id,
            postings=[Posting(pending, -payout.amount_minor), Posting(sent, payout.amount_minor)],
        )
        payout.status = PayoutStatus.PAID
        payout.paid_reference = reference
        payout.paid_by_id = actor.user_id
        payout.paid_at = timezone.now()
        payout.save(update_fields=["status", "paid_reference", "paid_by", "paid_at"])
        audit_record(
            action="payout.paid",
            object_type="payout",
            object_id=payout.pk,
            actor_id=actor.user_id,
            organization_id=payout.supplier_id,
            after={"amount_minor": payout.amount_minor, "reference": reference},
        )
        notify_many(
            [
                Notice(
                    organization_id=payout.supplier_id,
                    verb="payout.paid",
                    message=gettext_noop("Your payout %(id)s was paid (reference %(reference)s)."),
                    params={"id": payout.pk, "reference": reference},
                )
            ]
        )
    return payout
