"""Checkout: one cart becomes one order per supplier (and kind), all or nothing.

The query count does not grow with lines or suppliers (CONVENTIONS 9; the issue caps it at 30):
the cart, its SKUs, the caps and the stock move are a fixed number of statements, and orders,
lines, events and notifications are written with bulk inserts.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from huoyuan.accounts.contracts import Actor
from huoyuan.catalogue.stock import OutOfStock, stock_reserve
from huoyuan.notifications.services import Notice, notify_many
from huoyuan.orders.caps import held_unpaid, share_cap_problems
from huoyuan.orders.cart import CartQuote, QuoteLine, quote_lines, require_buyer
from huoyuan.orders.contracts import LineKind, OrderKind, OrderStatus, Party
from huoyuan.orders.errors import (
    CartEmpty,
    CartInvalid,
    PricesChanged,
    ReservationLimit,
    ValidationFailed,
)
from huoyuan.orders.lifecycle import trade_settings
from huoyuan.orders.models import (
    Address,
    CartLine,
    Checkout,
    Order,
    OrderEvent,
    OrderLine,
    TradeSettings,
)

MAX_NOTE = 500
ORDER_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud on the phone


def _order_number() -> str:
    return (
        "HY"
        + timezone.now().strftime("%y%m%d")
        + "".join(secrets.choice(ORDER_NUMBER_ALPHABET) for _i in range(6))
    )


@dataclass(frozen=True, slots=True)
class PlaceResult:
    checkout: Checkout
    orders: list[Order]


def _check_caps(
    actor: Actor,
    quote: CartQuote,
    levels: dict[int, tuple[int, int]],
    order_count: int,
    settings: TradeSettings,
) -> None:
    unpaid = Order.objects.filter(
        buyer_id=actor.organization_id, status=OrderStatus.PENDING_PAYMENT
    ).count()
    if unpaid + order_count > settings.max_unpaid_orders_per_buyer:
        raise ReservationLimit(
            _(
                "You have %(unpaid)s unpaid orders; pay or cancel some first (at most %(max)s may "
                "wait for payment at once)."
            )
            % {"unpaid": unpaid, "max": settings.max_unpaid_orders_per_buyer}
        )
    held = held_unpaid(
        buyer_id=actor.organization_id, sku_ids=sorted({line.sku_id for line in quote.lines})
    )
    problems = share_cap_problems(
        quote, held=held, levels=levels, share=settings.max_unpaid_share_percent
    )
    if problems:
        raise ReservationLimit(problems[0][1], field="quantity")


def lock_buyer_address(actor: Actor, address_id: int) -> Address:
    """The address to ship to, with the buyer organization's row locked to the commit.

    One buyer's placements (cart or buy-now) run one at a time, so the caps count what the buyer's
    other placements committed. One statement: the address and its organization, FOR UPDATE.
    """
    address = (
        Address.objects.select_for_update(of=("self", "buyer"))
        .select_related("buyer")
        .filter(pk=address_id, buyer_id=actor.organization_id)
        .first()
    )
    if address is None:
        raise ValidationFailed(
            _("Choose a shipping address from your address book."), field="address"
        )
    return address


def clean_notes(notes: dict[int, str] | None) -> dict[int, str]:
    clean = {int(k): (v or "").strip() for k, v in (notes or {}).items()}
    if any(len(v) > MAX_NOTE for v in clean.values()):
        raise ValidationFailed(
            _("Keep each note under %(n)s characters.") % {"n": MAX_NOTE}, field="notes"
        )
    return clean


def check_quote(quote: CartQuote, quote_token: str) -> None:
    """The buyer pays only what they were shown: same lines, same prices, nothing wrong."""
    if quote.token != quote_token:
        raise PricesChanged()
    if not quote.ok:
        raise CartInvalid(quote.problems[0] if quote.problems else None)


def checkout_place(
    *,
    actor: Actor,
    address_id: int,
    payment_method: str,
    quote_token: str,
    notes: dict[int, str] | None = None,
) -> PlaceResult:
    """Turn the buyer's cart into orders. The caller (payments) owns the transaction."""
    require_buyer(actor)
    clean = clean_notes(notes)
    address = lock_buyer_address(actor, address_id)
    lines = list(
        CartLine.objects.select_for_update().filter(buyer_id=actor.organization_id).order_by("pk")
    )
    if not lines:
        raise CartEmpty()
    quote = quote_lines(lines)
    check_quote(quote, quote_token)
    CartLine.objects.filter(pk__in=[line.pk for line in lines]).delete()
    return place_quote(
        actor=actor, quote=quote, address=address, payment_method=payment_method, notes=clean
    )


def place_quote(
    *,
    actor: Actor,
    quote: CartQuote,
    address: Address,
    payment_method: str,
    notes: dict[int, str],
) -> PlaceResult:
    """Orders, lines, events and notices for a checked quote, then the stock reservation.

    A fixed number of statements whatever the lines and suppliers: the caps (two), the inserts
    (bulk), the reservation (lock + two updates). The caller holds the buyer's lock.
    """
    groups: list[tuple[int, str, list[QuoteLine]]] = []  # (supplier, kind, lines)
    for group in quote.groups:
        for kind in (LineKind.WHOLESALE, LineKind.SAMPLE):
            chosen = [line for line in group.lines if line.kind == kind]
            if chosen:
                groups.append((group.supplier_id, kind, chosen))
    # The levels the quote read (no lock yet): the caps are about shares, and the reservation
    # below re-checks the stock itself under the lock.
    levels = {line.sku_id: (line.stock, line.reserved) for line in quote.lines}
    settings = trade_settings()
    _check_caps(actor, quote, levels, len(groups), settings)

    now = timezone.now()
    minutes = (
        settings.bank_transfer_expiry_hours * 60
        if payment_method == "bank_transfer"
        else settings.unpaid_expiry_minutes
    )
    currency = quote.currencies[0]
    checkout = Checkout.objects.create(
        buyer_id=actor.organization_id,
        placed_by_id=actor.user_id,
        currency=currency,
        total_minor=quote.total_minor,
        payment_method=payment_method,
    )
    orders = [
        Order(
            number=_order_number(),
            checkout=checkout,
            buyer_id=actor.organization_id,
            supplier_id=supplier_id,
            kind=OrderKind.SAMPLE if kind == LineKind.SAMPLE else OrderKind.WHOLESALE,
            currency=currency,
            subtotal_minor=sum(line.total_minor for line in chosen),
            total_minor=sum(line.total_minor for line in chosen),
            note=notes.get(supplier_id, ""),
            address=address.snapshot(),
            payment_method=payment_method,
            placed_by_id=actor.user_id,
            expires_at=now + timedelta(minutes=minutes),
        )
        for supplier_id, kind, chosen in groups
    ]
    Order.objects.bulk_create(orders)
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            sku_id=line.sku_id,
            product_id=line.product_id,
            kind=line.kind,
            product_title=line.product_title[:200],
            sku_code=line.sku_code,
            sku_label=line.sku_label[:200],
            quantity=line.quantity,
            unit_price_minor=line.unit_price_minor,
            line_total_minor=line.total_minor,
            tier_min_quantity=line.applied_min_quantity,
        )
        for order, (_supplier, _kind, chosen) in zip(orders, groups, strict=True)
        for line in chosen
    )
    OrderEvent.objects.bulk_create(
        OrderEvent(
            order=order,
            from_status="",
            to_status=OrderStatus.PENDING_PAYMENT,
            party=Party.BUYER,
            actor_id=actor.user_id,
        )
        for order in orders
    )
    notify_many(
        [
            Notice(
                organization_id=order.supplier_id,
                verb="order.placed",
                message=gettext_noop("New order %(number)s was placed; it ships once paid."),
                params={"number": order.number},
                link=f"/orders/{order.pk}/",
            )
            for order in orders
        ]
    )
    # Reserve last: the SKU rows stay locked from here to the caller's commit, so every statement
    # above runs before the lock, not under it (on a hot SKU the lock's hold time is the limit).
    # Sold out: the exception rolls back the caller's transaction, orders and all.
    reserve: dict[int, int] = {}
    for line in quote.lines:
        reserve[line.sku_id] = reserve.get(line.sku_id, 0) + line.quantity
    try:
        stock_reserve(quantities=reserve)
    except OutOfStock as error:
        raise PricesChanged(
            _("Some items sold out while you were checking out; review the cart and try again.")
        ) from error
    return PlaceResult(checkout=checkout, orders=orders)
