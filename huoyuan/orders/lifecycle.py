"""Every status change of an order goes through ``_transition``: the one transition table decides,
an OrderEvent records who, when and why, and the other party is notified, all in the caller's
transaction. The public actions below lock the order first and own their transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from huoyuan.accounts.contracts import Actor
from huoyuan.catalogue.stock import stock_consume, stock_release
from huoyuan.notifications.services import Notice, notify_many
from huoyuan.orders import escrow
from huoyuan.orders.contracts import OrderStatus, Party, allowed
from huoyuan.orders.errors import IllegalTransition, NotFound, ValidationFailed
from huoyuan.orders.locks import order_lock, orders_lock
from huoyuan.orders.models import (
    Order,
    OrderEvent,
    OrderLine,
    Shipment,
    ShipmentLine,
    TradeSettings,
)

S = OrderStatus
MAX_REASON = 500

# What each side is told when an order reaches a status (msgids; rendered in the reader's
# language when shown).
MESSAGES = {
    # Both sides hear of a payment (the system or the operator moved it): words for both.
    S.PAID: gettext_noop("Order %(number)s is paid and ready to ship."),
    S.SHIPPED: gettext_noop("Order %(number)s has shipped."),
    S.RECEIVED: gettext_noop("The buyer confirmed receipt of order %(number)s."),
    S.COMPLETED: gettext_noop("Order %(number)s is complete; the payment was released."),
    S.CANCELLED: gettext_noop("Order %(number)s was cancelled."),
    S.REFUND_REQUESTED: gettext_noop("The buyer asked for a refund on order %(number)s."),
    S.REFUNDED: gettext_noop("Order %(number)s was refunded in full."),
    S.PARTLY_REFUNDED: gettext_noop("Order %(number)s was partly refunded."),
}
# Moves whose news is not the status itself (keyed by who moved it).
AUTO_RECEIVED = gettext_noop(
    "Receipt of order %(number)s was confirmed automatically: no problem was reported in time."
)
REFUND_WITHDRAWN = gettext_noop("The buyer withdrew the refund request on order %(number)s.")
REFUND_DECLINED = gettext_noop("The refund request on order %(number)s was declined: %(reason)s")


def trade_settings() -> TradeSettings:
    return TradeSettings.objects.get_or_create(pk=1)[0]


def party_of(actor: Actor, order: Order) -> str:
    if actor.is_operator:
        return Party.OPERATOR
    if actor.organization_id == order.buyer_id:
        return Party.BUYER
    if actor.organization_id == order.supplier_id:
        return Party.SUPPLIER
    raise NotFound()


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            _("Keep the reason under %(n)s characters.") % {"n": MAX_REASON}, field="reason"
        )
    return reason


def _require(order: Order, to: str, party: str) -> None:
    """Refuse a move the transition table does not allow, saying why."""
    if not allowed(order.status, to, party):
        raise IllegalTransition(
            _("An order that is %(status)s cannot become %(to)s (asked by the %(party)s).")
            % {
                "status": S(order.status).label,
                "to": S(to).label,
                "party": Party(party).label.lower(),
            }
        )


def _transition(
    order: Order,
    to: str,
    *,
    party: str,
    actor_id: int | None,
    reason: str = "",
    notify: bool = True,
    notice: tuple[str, str] | None = None,
) -> None:
    """``notice``: (verb, msgid) to send instead of the status's own news."""
    _require(order, to, party)
    now = timezone.now()
    OrderEvent.objects.create(
        order=order,
        from_status=order.status,
        to_status=to,
        party=party,
        actor_id=actor_id,
        reason=reason,
    )
    order.status = to
    fields = ["status"]
    stamp = {
        S.PAID: "paid_at",
        S.SHIPPED: "shipped_at",
        S.RECEIVED: "received_at",
        S.COMPLETED: "closed_at",
        S.CANCELLED: "closed_at",
        S.REFUNDED: "closed_at",
        S.PARTLY_REFUNDED: "closed_at",
    }.get(S(to))
    if stamp and getattr(order, stamp) is None:
        setattr(order, stamp, now)
        fields.append(stamp)
    order.save(update_fields=fields)
    if notify and to in MESSAGES:
        # Tell whoever did not act; the system's and operator's moves are news to both sides.
        targets = {
            Party.BUYER: [order.supplier_id],
            Party.SUPPLIER: [order.buyer_id],
        }.get(Party(party), [order.buyer_id, order.supplier_id])
        verb, message = notice or (f"order.{to}", MESSAGES[S(to)])
        notify_many(
            [
                Notice(
                    organization_id=target,
                    verb=verb,
                    message=message,
                    params={"number": order.number, "reason": reason},
                    link=f"/orders/{order.pk}/",
                )
                for target in targets
            ]
        )


def _quantities(order: Order, *, unshipped: bool) -> dict[int, int]:
    totals: dict[int, int] = {}
    for line in OrderLine.objects.filter(order=order, sku__isnull=False):
        quantity = line.quantity - line.shipped_quantity if unshipped else line.quantity
        if quantity and line.sku_id is not None:
            totals[line.sku_id] = totals.get(line.sku_id, 0) + quantity
    return totals


# --- payment -------------------------------------------------------------------------------


def orders_mark_paid(
    *, order_ids: list[int], payment_reference: str, operator_id: int | None = None
) -> list[int]:
    """The payment for these orders was captured: escrow them and move them to paid.

    ``operator_id``: the operator who matched a bank transfer (the event then names them; a
    provider's webhook is the system). Returns the ids of orders that could not take the money
    (cancelled or expired meanwhile): their share was captured and refunded at once, and the
    caller tells the buyer. Runs in the caller's transaction; a second call for the same orders
    changes nothing.
    """
    party = Party.OPERATOR if operator_id is not None else Party.SYSTEM
    late: list[int] = []
    for order in orders_lock(order_ids=order_ids):
        if order.status == S.PENDING_PAYMENT:
            escrow.escrow_capture(order, payment_reference=payment_reference)
            _transition(order, S.PAID, party=party, actor_id=operator_id, reason=payment_reference)
        elif order.status == S.CANCELLED and order.paid_minor == 0 and order.total_minor:
            # Paid after it expired: the money came in, and goes straight back.
            escrow.escrow_capture(order, payment_reference=payment_reference)
            escrow.escrow_refund(order, amount=order.escrow_minor, actor_id=None, tag=":late")
            OrderEvent.objects.create(
                order=order,
                from_status=order.status,
                to_status=order.status,
                party=Party.SYSTEM,
                reason=_("Payment arrived after the order was cancelled; refunded in full."),
            )
            late.append(order.pk)
    return late


# --- cancellation and expiry ---------------------------------------------------------------


def _cancel(order: Order, *, party: str, actor_id: int | None, reason: str) -> None:
    if order.status == S.PAID and any(
        line.shipped_quantity for line in OrderLine.objects.filter(order=order)
    ):
        raise IllegalTransition(
            _("Part of this order has shipped, so it can no longer be cancelled; ask for a refund.")
        )
    was_paid = order.status == S.PAID
    _transition(order, S.CANCELLED, party=party, actor_id=actor_id, reason=reason)
    stock_release(quantities=_quantities(order, unshipped=True))
    if was_paid:
        escrow.escrow_refund(order, amount=order.escrow_minor, actor_id=actor_id)


def order_cancel(*, actor: Actor, order_id: int, reason: str = "") -> Order:
    reason = _clean_reason(reason)
    with transaction.atomic():
        order = order_lock(order_id=order_id, actor=actor)
        _cancel(order, party=party_of(actor, order), actor_id=actor.user_id, reason=reason)
    return order


def orders_expire_due(*, now: Any = None, limit: int = 500) -> int:
    """Cancel unpaid orders past their time and release their stock; returns how many."""
    now = now or timezone.now()
    due = list(
        Order.objects.filter(status=S.PENDING_PAYMENT, expires_at__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    expired = 0
    for order_id in due:
        with transaction.atomic():
            order = order_lock(order_id=order_id)
            if (
                order.status != S.PENDING_PAYMENT
                or order.expires_at is None
                or order.expires_at > now
            ):
                continue  # paid or cancelled meanwhile
            _cancel(order, party=Party.SYSTEM, actor_id=None, reason=_("Not paid in time."))
            expired += 1
    return expired


# --- shipping ------------------------------------------------------------------------------


def order_ship(
    *,
    actor: Actor,
    order_id: int,
    carrier: str,
    tracking_number: str,
    quantities: dict[int, int] | None = None,
) -> Shipment:
    """The supplier ships lines (all that is left, or ``quantities``: line id -> units)."""
    carrier, tracking_number = (carrier or "").strip(), (tracking_number or "").strip()
    if not carrier or len(carrier) > 60:
        raise ValidationFailed(_("Name the carrier (up to 60 characters)."), field="carrier")
    if not tracking_number or len(tracking_number) > 60:
        raise ValidationFailed(
            _("Enter the tracking number (up to 60 characters)."), field="tracking_number"
        )
    with transaction.atomic():
        order = order_lock(order_id=order_id, actor=actor)
        if party_of(actor, order) != Party.SUPPLIER:
            raise NotFound()
        if order.status != S.PAID:
            raise IllegalTransition(
                _("Only paid orders can ship; this one is %(status)s.")
                % {"status": S(order.status).label}
            )
        lines = {line.pk: line for line in OrderLine.objects.filter(order=order)}
        wanted = quantities or {pk: line.to_ship for pk, line in lines.items() if line.to_ship}
        for line_id, units in wanted.items():
            line = lines.get(int(line_id))
            if line is None:
                raise ValidationFailed(_("That line is not part of this order."), field="lines")
            if not 0 <= units <= line.to_ship:
                raise ValidationFailed(
                    _("Line %(code)s has %(left)s units left to ship.")
                    % {"code": line.sku_code, "left": line.to_ship},
                    field="lines",
                )
        wanted = {int(k): v for k, v in wanted.items() if v}
        if not wanted:
            raise ValidationFailed(_("Choose at least one unit to ship."), field="lines")
        shipment = Shipment.objects.create(
            order=order,
            carrier=carrier,
            tracking_number=tracking_number,
            created_by_id=actor.user_id,
        )
        ShipmentLine.objects.bulk_create(
            ShipmentLine(shipment=shipment, line_id=pk, quantity=units)
            for pk, units in wanted.items()
        )
        consumed: dict[int, int] = {}
        for pk, units in wanted.items():
            line = lines[pk]
            line.shipped_quantity += units
            line.save(update_fields=["shipped_quantity"])
            if line.sku_id is not None:
                consumed[line.sku_id] = consumed.get(line.sku_id, 0) + units
        stock_consume(quantities=consumed)
        if all(line.to_ship == 0 for line in lines.values()):
            order.auto_confirm_at = timezone.now() + timedelta(
                days=trade_settings().auto_confirm_days
            )
            order.save(update_fields=["auto_confirm_at"])
            _transition(
                order,
                S.SHIPPED,
                party=Party.SUPPLIER,
                actor_id=actor.user_id,
                reason=f"{carrier} {tracking_number}",
            )
        else:
            OrderEvent.objects.create(
                order=order,
                from_status=order.status,
                to_status=order.status,
                party=Party.SUPPLIER,
                actor_id=actor.user_id,
                reason=_("Partial shipment: %(carrier)s %(number)s")
                % {"carrier": carrier, "number": tracking_number},
            )
            notify_many(
                [
                    Notice(
                        organization_id=order.buyer_id,
                        verb="order.partly_shipped",
                        message=gettext_noop("Part of order %(number)s has shipped."),
                        params={"number": order.number},
                        link=f"/orders/{order.pk}/",
                    )
                ]
            )
    return shipment


# --- receipt, completion, refunds ------------------------------------------------------------


def _receive(order: Order, *, party: str, actor_id: int | None) -> None:
    # Auto-confirmed: "the buyer confirmed" would be untrue, and the buyer hears of it too.
    notice = ("order.received", AUTO_RECEIVED) if party == Party.SYSTEM else None
    _transition(order, S.RECEIVED, party=party, actor_id=actor_id, notice=notice)
    escrow.escrow_release(order, actor_id=actor_id)
    _transition(order, S.COMPLETED, party=Party.SYSTEM, actor_id=None)


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


def order_request_refund(*, actor: Actor, order_id: int, amount_minor: int, reason: str) -> Order:
    reason = _clean_reason(reason)
    if not reason:
        raise ValidationFailed(_("Say what went wrong."), field="reason")
    with transaction.atomic():
        order = order_lock(order_id=order_id, actor=actor)
        party = party_of(actor, order)
        # The status first: on a completed or unpaid order escrow holds nothing, and "ask for an
        # amount up to what you paid" would send the buyer after the wrong problem.
        _require(order, S.REFUND_REQUESTED, party)
        if not 0 < amount_minor <= order.escrow_minor:
            raise ValidationFailed(
                _("Ask for an amount between 0.01 and what you paid."), field="amount"
            )
        _transition(
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
    reason = _clean_reason(reason)
    with transaction.atomic():
        order = order_lock(order_id=order_id, actor=actor)
        party = party_of(actor, order)
        # The status first (as for the request): an order with nothing in escrow is not a
        # matter of the amount.
        _require(
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
        _transition(order, target, party=party, actor_id=actor.user_id, reason=reason)
    return order


def order_decline_refund(*, actor: Actor, order_id: int, reason: str = "") -> Order:
    """The supplier declines (or the buyer withdraws) a refund request: back to shipped."""
    reason = _clean_reason(reason)
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
        _transition(
            order, S.SHIPPED, party=party, actor_id=actor.user_id, reason=reason, notice=notice
        )
        # Give the buyer a day to react before the receipt is confirmed for them.
        floor = timezone.now() + timedelta(days=1)
        if order.auto_confirm_at is None or order.auto_confirm_at < floor:
            order.auto_confirm_at = floor
        order.refund_requested_minor = 0
        order.save(update_fields=["auto_confirm_at", "refund_requested_minor"])
    return order
