"""Every status change of an order goes through ``transition``: the one transition table decides,
an OrderEvent records who, when and why, and the other party is notified, all in the caller's
transaction. This module holds that core plus payment, cancellation and expiry; shipping
(``shipping.py``) and receipt and refunds (``receipt.py``) build on it. The public actions lock
the order first and own their transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from huoyuan.accounts.contracts import Actor
from huoyuan.catalogue.stock import stock_release
from huoyuan.notifications.services import Notice, notify_many
from huoyuan.orders import escrow
from huoyuan.orders.contracts import OrderStatus, Party, allowed
from huoyuan.orders.errors import IllegalTransition, NotFound, ValidationFailed
from huoyuan.orders.locks import order_lock, orders_lock
from huoyuan.orders.models import Order, OrderEvent, OrderLine, TradeSettings

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


def clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            _("Keep the reason under %(n)s characters.") % {"n": MAX_REASON}, field="reason"
        )
    return reason


def require_allowed(order: Order, to: str, party: str) -> None:
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


def transition(
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
    require_allowed(order, to, party)
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
            transition(order, S.PAID, party=party, actor_id=operator_id, reason=payment_reference)
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
    transition(order, S.CANCELLED, party=party, actor_id=actor_id, reason=reason)
    stock_release(quantities=_quantities(order, unshipped=True))
    if was_paid:
        escrow.escrow_refund(order, amount=order.escrow_minor, actor_id=actor_id)


def order_cancel(*, actor: Actor, order_id: int, reason: str = "") -> Order:
    reason = clean_reason(reason)
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
