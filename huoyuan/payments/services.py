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

from huoyuan.accounts.contracts import Actor
from huoyuan.core.services import audit_record
from huoyuan.notifications.services import Notice, notify_many
from huoyuan.orders import selectors as orders_selectors
from huoyuan.orders import services as orders
from huoyuan.orders.contracts import OrderStatus
from huoyuan.payments.adapters import ProviderEvent, adapter_for
from huoyuan.payments.contracts import STATUS_RANK, PaymentStatus, Provider
from huoyuan.payments.errors import (
    AmountMismatch,
    Conflict,
    NotFound,
    PermissionDenied,
    SignatureInvalid,
    ValidationFailed,
)
from huoyuan.payments.models import Payment, PaymentOrder, WebhookEvent

# Payouts live in their own module; callers reach every payments write through this one.
from huoyuan.payments.payouts import payout_account_set, payout_mark_paid, payout_request

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
    _check_method(payment_method)
    with transaction.atomic():
        placed = orders.checkout_place(
            actor=actor,
            address_id=address_id,
            payment_method=payment_method,
            quote_token=quote_token,
            notes=notes,
        )
        return _open_payment(actor, placed, payment_method)


def buy_now_submit(
    *,
    actor: Actor,
    sku_id: int,
    quantity: int,
    kind: str,
    address_id: int,
    payment_method: str,
    quote_token: str,
    note: str = "",
) -> Submitted:
    """Buy one SKU now (past the cart): its order and its payment, all or nothing."""
    _check_method(payment_method)
    with transaction.atomic():
        placed = orders.buy_now_place(
            actor=actor,
            sku_id=sku_id,
            quantity=quantity,
            kind=kind,
            address_id=address_id,
            payment_method=payment_method,
            quote_token=quote_token,
            note=note,
        )
        return _open_payment(actor, placed, payment_method)


def _check_method(payment_method: str) -> None:
    if payment_method not in Provider.values:
        raise ValidationFailed(_("Choose a payment method."), field="payment_method")


def _open_payment(actor: Actor, placed: orders.PlaceResult, payment_method: str) -> Submitted:
    payment = Payment.objects.create(
        reference=_reference(),
        checkout_id=placed.checkout.pk,
        buyer_id=actor.organization_id,
        provider=payment_method,
        amount_minor=placed.checkout.total_minor,
        currency=placed.checkout.currency,
    )
    _cover(payment, [(o.pk, o.total_minor) for o in placed.orders])
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
        payment = Payment.objects.create(
            reference=_reference(),
            checkout_id=old.checkout_id,
            buyer_id=old.buyer_id,
            provider=old.provider,
            amount_minor=sum(o.total_minor for o in waiting),
            currency=old.currency,
        )
        _cover(payment, [(o.pk, o.total_minor) for o in waiting])
        return payment


def _cover(payment: Payment, shares: list[tuple[int, int]]) -> None:
    """Record which orders the payment pays (one insert): capture pays exactly these."""
    PaymentOrder.objects.bulk_create(
        PaymentOrder(payment=payment, order_id=order_id, amount_minor=amount)
        for order_id, amount in shares
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
    # Exactly the orders recorded when the payment was opened: a retried payment does not pay an
    # order cancelled before the retry (it is not in its amount), so the books never capture more
    # than the payment (tests/test_crash_safety.py found that once).
    order_ids = list(
        PaymentOrder.objects.filter(payment=payment)
        .order_by("order_id")
        .values_list("order_id", flat=True)
    )
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


__all__ = [
    "Submitted",
    "bank_transfer_match",
    "buy_now_submit",
    "checkout_submit",
    "payment_retry",
    "payout_account_set",
    "payout_mark_paid",
    "payout_request",
    "webhook_receive",
]
