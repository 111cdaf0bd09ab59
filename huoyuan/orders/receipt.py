"""After shipping: the buyer confirms receipt (or the platform does, once the auto-confirm window
has passed), which releases escrow to the supplier and completes the order; or, instead, the
buyer asks for a refund, which the supplier (or the operator) agrees to, in full or in part, or
declines."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from huoyuan.accounts.contracts import Actor
from huoyuan.orders import escrow
from huoyuan.orders.contracts import OrderStatus, Party
from huoyuan.orders.errors import IllegalTransition, ValidationFailed
from huoyuan.orders.lifecycle import clean_reason, party_of, require_allowed, transition
from huoyuan.orders.locks import order_lock
from huoyuan.orders.models import Order

S = OrderStatus

# Moves whose news is not the status itself (keyed by who moved it).
AUTO_RECEIVED = gettext_noop(
    "Receipt of order %(number)s was confirmed automatically: no problem was reported in time."
)
REFUND_WITHDRAWN = gettext_noop("The buyer withdrew the refund request on order %(number)s.")
REFUND_DECLINED = gettext_noop("The refund request on order %(number)s was declined: %(reason)s")


# --- receipt and completion ------------------------------------------------------------------


def _receive(order: Order, *, party: str, actor_id: int | None) -> None:
    # Auto-confirmed: "the buyer confirmed" would be untrue, and the buyer hears of it too.
    notice = ("order.received", AUTO_RECEIVED) if party == Party.SYSTEM else None
    transition(order, S.RECEIVED, party=party, actor_id=actor_id, notice=notice)
    escrow.escrow_release(order, actor_id=actor_id)
    transition(order, S.COMPLETED, party=Party.SYSTEM, actor_id=None)


def order_confirm_receipt(*, actor: Actor, order_id: int) -> Order:
    with transaction.atomic():
        order = order_lock(order_id=order_id, actor=actor)
        _receive(order, party=party_of(actor, order), actor_id=actor.user_id)
    return order


def orders_auto_confirm_due(*, now: Any = None, limit: int = 500) -> int:
    """Confirm receipt for shipped orders whose buyer stayed silent for N days."""
    now = now or timezone.now()
    due = list(
        Order.objects.filter(status=S.SHIPPED, auto_confirm_at__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    confirmed = 0
    for order_id in due:
        with transaction.atomic():
            order = order_lock(order_id=order_id)
            if (
                order.status != S.SHIPPED
                or order.auto_confirm_at is None
                or order.auto_confirm_at > now
            ):
                continue
            _receive(order, party=Party.SYSTEM, actor_id=None)
            confirmed += 1
    return confirmed


# --- refunds ---------------------------------------------------------------------------------


def order_request_refund(*, actor: Actor, order_id: int, amount_minor: int, reason: str) -> Order:
    reason = clean_reason(reason)
    if not reason:
        raise ValidationFailed(_("Say what went wrong."), field="reason")
    with transaction.atomic():
        order = order_lock(order_id=order_id, actor=actor)
        party = party_of(actor, order)
        # The status first: on a completed or unpaid order escrow holds nothing, and "ask for an
        # amount up to what you paid" would send the buyer after the wrong problem.
        require_allowed(order, S.REFUND_REQUESTED, party)
        if not 0 < amount_minor <= order.escrow_minor:
            raise ValidationFailed(
                _("Ask for an amount between 0.01 and what you paid."), field="amount"
            )
        transition(
            order,
            S.REFUND_REQUESTED,
            party=party,
            actor_id=actor.user_id,
            reason=reason,
        )
        order.refund_requested_minor = amount_minor
        order.save(update_fields=["refund_requested_minor"])
    return order


def order_resolve_refund(
    *, actor: Actor, order_id: int, amount_minor: int, reason: str = ""
) -> Order:
    """Agree a refund: the amount goes back to the buyer, the rest (if any) to the supplier."""
    reason = clean_reason(reason)
    with transaction.atomic():
        order = order_lock(order_id=order_id, actor=actor)
        party = party_of(actor, order)
        # The status first (as for the request): an order with nothing in escrow is not a
        # matter of the amount.
        require_allowed(
            order, S.REFUNDED if amount_minor >= order.escrow_minor else S.PARTLY_REFUNDED, party
        )
        if not 0 < amount_minor <= order.escrow_minor:
            raise ValidationFailed(
                _("Refund an amount between 0.01 and what escrow holds for the order."),
                field="amount",
            )
        full = amount_minor == order.escrow_minor
        target = S.REFUNDED if full else S.PARTLY_REFUNDED
        escrow.escrow_refund(order, amount=amount_minor, actor_id=actor.user_id)
        if not full:
            escrow.escrow_release(order, actor_id=actor.user_id)
        transition(order, target, party=party, actor_id=actor.user_id, reason=reason)
    return order


def order_decline_refund(*, actor: Actor, order_id: int, reason: str = "") -> Order:
    """The supplier declines (or the buyer withdraws) a refund request: back to shipped."""
    reason = clean_reason(reason)
    with transaction.atomic():
        order = order_lock(order_id=order_id, actor=actor)
        party = party_of(actor, order)
        # The table lets the supplier move paid -> shipped too (by shipping); declining must not
        # be a way to mark an order shipped without a parcel.
        if order.status != S.REFUND_REQUESTED:
            raise IllegalTransition(
                _("There is no open refund request on this order; it is %(status)s.")
                % {"status": S(order.status).label}
            )
        # Only the buyer's own withdrawal goes without a reason (the operator's decline too
        # is news to the buyer that needs one).
        if party != Party.BUYER and not reason:
            raise ValidationFailed(_("Tell the buyer why you decline."), field="reason")
        # "Order has shipped" would be the wrong news: say what happened to the request.
        notice = (
            ("order.refund_withdrawn", REFUND_WITHDRAWN)
            if party == Party.BUYER
            else ("order.refund_declined", REFUND_DECLINED)
        )
        transition(
            order, S.SHIPPED, party=party, actor_id=actor.user_id, reason=reason, notice=notice
        )
        # Give the buyer a day to react before the receipt is confirmed for them.
        floor = timezone.now() + timedelta(days=1)
        if order.auto_confirm_at is None or order.auto_confirm_at < floor:
            order.auto_confirm_at = floor
        order.refund_requested_minor = 0
        order.save(update_fields=["auto_confirm_at", "refund_requested_minor"])
    return order
