"""An order's life: the transition table walked in full, cancellation, shipping, receipt, sweeps.

The walk builds an order in every status and has every party try every action on it: what the
table (orders.contracts.TRANSITIONS) allows happens, with its event and notifications; everything
else is refused and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from itertools import count
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from huoyuan.catalogue.models import Category, Product, Sku
from huoyuan.catalogue.tests.factories import make_product, sku
from huoyuan.core.models import AuditEvent
from huoyuan.ledger.contracts import AccountKind, AccountRef
from huoyuan.ledger.models import Entry, Transaction
from huoyuan.ledger.selectors import account_balance, ledger_check
from huoyuan.notifications.models import Notification
from huoyuan.orders import services
from huoyuan.orders.contracts import TRANSITIONS, OrderStatus, Party, allowed
from huoyuan.orders.errors import IllegalTransition, NotFound, ValidationFailed
from huoyuan.orders.models import Order, OrderEvent, OrderLine, Shipment, TradeSettings
from huoyuan.orders.selectors import escrow_held
from huoyuan.orders.tests.factories import (
    address_for,
    capture,
    orders_of,
    paid_order,
    place,
    shipped_order,
    sku_of,
)
from huoyuan.payments import services as payments
from huoyuan.payments.errors import Conflict, PermissionDenied
from huoyuan.payments.models import Payment

if TYPE_CHECKING:
    from conftest import Person
    from huoyuan.accounts.contracts import Actor
    from huoyuan.orders.models import Address

pytestmark = pytest.mark.django_db
S, P = OrderStatus, Party
LATER = timedelta(days=400)  # a sweep this far ahead finds every order due

ORDER_FIELDS = (
    "status",
    "paid_minor",
    "refunded_minor",
    "released_minor",
    "commission_minor",
    "refund_requested_minor",
    "expires_at",
    "paid_at",
    "shipped_at",
    "auto_confirm_at",
    "received_at",
    "closed_at",
)


def state(order: Order) -> dict[str, Any]:
    """Everything an action on this order may touch (its SKUs are its own in these tests)."""
    fresh = Order.objects.get(pk=order.pk)
    sku_ids = list(OrderLine.objects.filter(order=order).values_list("sku_id", flat=True))
    return {
        "order": {name: getattr(fresh, name) for name in ORDER_FIELDS},
        "lines": list(
            OrderLine.objects.filter(order=order).order_by("pk").values_list("shipped_quantity")
        ),
        "events": OrderEvent.objects.filter(order=order).count(),
        "notifications": Notification.objects.count(),
        "entries": Entry.objects.filter(order_id=order.pk).count(),
        "audit": AuditEvent.objects.count(),
        "shipments": Shipment.objects.filter(order=order).count(),
        "skus": list(
            Sku.objects.filter(pk__in=sku_ids)
            .order_by("pk")
            .values_list("stock", "reserved", "sold")
        ),
        "payments": list(Payment.objects.order_by("pk").values_list("status", flat=True)),
    }


def balance(kind: str, organization_id: int | None = None, key: str = "") -> int:
    return account_balance(ref=AccountRef(kind, "CNY", organization_id, key))


@dataclass
class Trade:
    order: Order
    payment: Payment


class Shop:
    """buyer_x buys 2 units at supplier_a (each order on a SKU of its own) and moves it on."""

    def __init__(self, cast: dict[str, Person], category: Category) -> None:
        self.cast = cast
        self.category = category
        self.buyer = self.actor("buyer_x")
        self.seller = self.actor("supplier_a")
        self.operator = self.actor("operator")
        self.address: Address = address_for(self.buyer)
        self.numbers = count(1)

    def actor(self, name: str) -> Actor:
        actor = self.cast[name].actor
        assert actor is not None
        return actor

    def product(self, **overrides: Any) -> Product:
        n = next(self.numbers)
        values: dict[str, Any] = {"title_en": f"Bowl {n}", "skus": [sku(f"W{n}", stock=10)]}
        values.update(overrides)
        return make_product(self.seller, self.category, **values)

    def pending(self, method: str = "bank_transfer") -> Trade:
        submitted = place(
            self.buyer, [(sku_of(self.product()), 2)], method=method, address=self.address
        )
        return Trade(orders_of(submitted)[0], submitted.payment)

    def build(self, status: str) -> Trade:
        """An order in ``status``, reached through the services."""
        if status == S.PENDING_PAYMENT:
            return self.pending()
        if status in (S.PAID, S.CANCELLED):
            trade = self.pending()
            payments.bank_transfer_match(
                actor=self.operator,
                reference=trade.payment.reference,
                amount_minor=trade.payment.amount_minor,
                bank_reference="ICBC-0001",
            )
            if status == S.CANCELLED:  # paid, then cancelled: the payment is settled
                services.order_cancel(actor=self.buyer, order_id=trade.order.pk)
            return trade
        if status in (S.SHIPPED, S.RECEIVED, S.COMPLETED):
            trade = self.build(S.PAID)
            services.order_ship(
                actor=self.seller, order_id=trade.order.pk, carrier="SF", tracking_number="SF0"
            )
            if status == S.COMPLETED:
                services.order_confirm_receipt(actor=self.buyer, order_id=trade.order.pk)
            if status == S.RECEIVED:
                # Orders pass through "received" inside one transaction; park one there to see
                # that nothing else may move it.
                Order.objects.filter(pk=trade.order.pk).update(status=S.RECEIVED)
            return trade
        trade = self.build(S.SHIPPED)
        services.order_request_refund(
            actor=self.buyer, order_id=trade.order.pk, amount_minor=500, reason="Broken"
        )
        if status == S.REFUNDED:
            services.order_resolve_refund(
                actor=self.seller, order_id=trade.order.pk, amount_minor=2500
            )
        if status == S.PARTLY_REFUNDED:
            services.order_resolve_refund(
                actor=self.seller, order_id=trade.order.pk, amount_minor=500
            )
        return trade


@dataclass(frozen=True)
class Attempt:
    """One party trying to move an order to ``to`` through one service."""

    to: str
    party: str
    service: str
    run: Callable[[Trade, Actor | None], object]
    reason: str = ""
    # The service moves orders out of these statuses only (None: any the table allows).
    only_from: frozenset[str] | None = None
    refusals: tuple[type[Exception], ...] = (IllegalTransition, NotFound)
    verb: str = ""  # what the other side is told, when not "order.<to>"

    def expected(self, from_status: str) -> bool:
        return allowed(from_status, self.to, self.party) and (
            self.only_from is None or from_status in self.only_from
        )


def _by_actor(party: str) -> list[Attempt]:
    def resolve(part: bool) -> Callable[[Trade, Actor | None], object]:
        def run(t: Trade, a: Actor | None) -> object:
            order = Order.objects.get(pk=t.order.pk)
            amount = 500 if part else max(order.escrow_minor, 1)
            return services.order_resolve_refund(
                actor=a,
                order_id=t.order.pk,
                amount_minor=amount,
                reason="Agreed",
            )

        return run

    return [
        Attempt(
            S.PAID,
            party,
            "bank_transfer_match",
            lambda t, a: payments.bank_transfer_match(
                actor=a,
                reference=t.payment.reference,
                amount_minor=t.payment.amount_minor,
                bank_reference="ICBC-0002",
            ),
            reason="{reference}",
            refusals=(PermissionDenied, Conflict),
        ),
        Attempt(
            S.CANCELLED,
            party,
            "order_cancel",
            lambda t, a: services.order_cancel(
                actor=a,
                order_id=t.order.pk,
                reason="Changed plans",
            ),
            reason="Changed plans",
        ),
        Attempt(
            S.SHIPPED,
            party,
            "order_ship",
            lambda t, a: services.order_ship(
                actor=a,
                order_id=t.order.pk,
                carrier="SF Express",
                tracking_number="SF1234",
            ),
            reason="SF Express SF1234",
            only_from=frozenset({S.PAID}),
        ),
        Attempt(
            S.SHIPPED,
            party,
            "order_decline_refund",
            lambda t, a: services.order_decline_refund(
                actor=a,
                order_id=t.order.pk,
                reason="The photos show no damage",
            ),
            reason="The photos show no damage",
            only_from=frozenset({S.REFUND_REQUESTED}),
            verb="order.refund_withdrawn" if party == P.BUYER else "order.refund_declined",
        ),
        Attempt(
            S.RECEIVED,
            party,
            "order_confirm_receipt",
            lambda t, a: services.order_confirm_receipt(actor=a, order_id=t.order.pk),
        ),
        Attempt(
            S.REFUND_REQUESTED,
            party,
            "order_request_refund",
            lambda t, a: services.order_request_refund(
                actor=a,
                order_id=t.order.pk,
                amount_minor=100,
                reason="Two bowls broken",
            ),
            reason="Two bowls broken",
        ),
        Attempt(S.REFUNDED, party, "order_resolve_refund (all)", resolve(False), "Agreed"),
        Attempt(S.PARTLY_REFUNDED, party, "order_resolve_refund (part)", resolve(True), "Agreed"),
    ]


ATTEMPTS = [
    *(attempt for party in (P.BUYER, P.SUPPLIER, P.OPERATOR) for attempt in _by_actor(party)),
    # The system acts through the payment capture and the two sweeps; it refuses by not acting.
    Attempt(
        S.PAID,
        P.SYSTEM,
        "orders_mark_paid",
        lambda t, a: services.orders_mark_paid(
            order_ids=[t.order.pk], payment_reference=t.payment.reference
        ),
        reason="{reference}",
    ),
    Attempt(
        S.CANCELLED,
        P.SYSTEM,
        "orders_expire_due",
        lambda t, a: services.orders_expire_due(now=timezone.now() + LATER),
        reason="Not paid in time.",
    ),
    Attempt(
        S.RECEIVED,
        P.SYSTEM,
        "orders_auto_confirm_due",
        lambda t, a: services.orders_auto_confirm_due(now=timezone.now() + LATER),
    ),
]
ACTORS = {P.BUYER: "buyer_x", P.SUPPLIER: "supplier_a", P.OPERATOR: "operator"}


def test_the_walk_covers_every_transition_of_the_table() -> None:
    table = {
        (f, t, p) for f, targets in TRANSITIONS.items() for t, ps in targets.items() for p in ps
    }
    walked = {(f, a.to, a.party) for f in S.values for a in ATTEMPTS if a.expected(f)}
    # received -> completed is the system's second step of every receipt (checked there).
    assert table - walked == {(S.RECEIVED, S.COMPLETED, P.SYSTEM)}
    assert walked <= table


def notified(order: Order, party: str, verb: str) -> list[tuple[int, str]]:
    """The side that did not act hears of it; the system's and operator's acts go to both."""
    targets = {P.BUYER: [order.supplier_id], P.SUPPLIER: [order.buyer_id]}.get(
        party, [order.buyer_id, order.supplier_id]
    )
    return [(target, verb) for target in targets]


@pytest.mark.parametrize("from_status", S.values)
def test_every_party_may_do_what_the_table_allows_and_nothing_else(
    from_status: str, cast: dict[str, Person], category: Category
) -> None:
    shop = Shop(cast, category)
    outsiders = [shop.actor("buyer_y"), shop.actor("supplier_b")]
    target = shop.build(from_status)
    assert Order.objects.get(pk=target.order.pk).status == from_status

    # Refused: every (to, party) the table does not allow from here, and every outsider.
    for attempt in ATTEMPTS:
        if attempt.expected(from_status):
            continue
        before = state(target.order)
        if attempt.party == P.SYSTEM:
            result = attempt.run(target, None)
            assert result in ([], 0), (attempt.service, from_status)
        else:
            with pytest.raises(attempt.refusals):
                attempt.run(target, shop.actor(ACTORS[attempt.party]))
        assert state(target.order) == before, (attempt.service, attempt.party, from_status)
    for attempt in ATTEMPTS:
        if attempt.party != P.BUYER:  # each service once per outsider
            continue
        for outsider in outsiders:
            before = state(target.order)
            with pytest.raises((NotFound, PermissionDenied)):
                attempt.run(target, outsider)
            assert state(target.order) == before, (attempt.service, outsider, from_status)

    # Allowed: each on a fresh order in this status, with its event and its notifications.
    for attempt in ATTEMPTS:
        if not attempt.expected(from_status):
            continue
        trade = shop.build(from_status)
        actor = shop.actor(ACTORS[attempt.party]) if attempt.party != P.SYSTEM else None
        events_before = OrderEvent.objects.filter(order=trade.order).count()
        last_notice = Notification.objects.order_by("-pk").values_list("pk", flat=True).first()

        attempt.run(trade, actor)

        order = Order.objects.get(pk=trade.order.pk)
        actor_id = actor.user_id if actor else None
        reason = attempt.reason.format(reference=trade.payment.reference)
        events = list(
            OrderEvent.objects.filter(order=order)
            .order_by("pk")
            .values_list("from_status", "to_status", "party", "actor_id", "reason")[events_before:]
        )
        notices = sorted(
            Notification.objects.filter(
                pk__gt=last_notice or 0, link=f"/orders/{order.pk}/"
            ).values_list("organization_id", "verb")
        )
        label = (attempt.service, attempt.party, from_status)
        if attempt.to == S.RECEIVED:
            assert order.status == S.COMPLETED, label
            assert events == [
                (from_status, S.RECEIVED, attempt.party, actor_id, ""),
                (S.RECEIVED, S.COMPLETED, P.SYSTEM, None, ""),
            ], label
            expected = notified(order, attempt.party, "order.received") + notified(
                order, P.SYSTEM, "order.completed"
            )
        else:
            assert order.status == attempt.to, label
            assert events == [(from_status, attempt.to, attempt.party, actor_id, reason)], label
            expected = notified(order, attempt.party, attempt.verb or f"order.{attempt.to}")
        assert notices == sorted(expected), label
        assert ledger_check() == []


# --- cancellation ------------------------------------------------------------------------------


def test_cancelling_before_payment_releases_the_stock(
    cast: dict[str, Person], category: Category
) -> None:
    shop = Shop(cast, category)
    trade = shop.pending(method="sandbox")
    product = Order.objects.get(pk=trade.order.pk).lines.get().product
    assert product is not None
    assert Product.objects.get(pk=product.pk).stock_total == 8

    services.order_cancel(actor=shop.buyer, order_id=trade.order.pk, reason="Ordered twice")

    order = Order.objects.get(pk=trade.order.pk)
    assert order.status == S.CANCELLED
    assert order.closed_at is not None
    assert (order.paid_minor, order.refunded_minor) == (0, 0)
    assert list(Sku.objects.filter(product=product).values_list("stock", "reserved", "sold")) == [
        (10, 0, 0)
    ]
    assert Product.objects.get(pk=product.pk).stock_total == 10
    assert not Entry.objects.filter(order_id=order.pk).exists()


def test_cancelling_after_payment_releases_the_stock_and_refunds_escrow_in_full(
    cast: dict[str, Person], category: Category
) -> None:
    shop = Shop(cast, category)
    trade = shop.pending(method="sandbox")
    capture(trade.payment)
    assert Order.objects.get(pk=trade.order.pk).escrow_minor == 2500
    audits = AuditEvent.objects.count()

    services.order_cancel(actor=shop.seller, order_id=trade.order.pk, reason="Glaze ran out")

    order = Order.objects.get(pk=trade.order.pk)
    assert order.status == S.CANCELLED
    assert (order.paid_minor, order.refunded_minor, order.released_minor) == (2500, 2500, 0)
    assert order.escrow_minor == 0
    assert list(
        Sku.objects.filter(pk=order.lines.get().sku_id).values_list("stock", "reserved", "sold")
    ) == [(10, 0, 0)]
    assert balance(AccountKind.ESCROW) == 0
    assert balance(AccountKind.PROVIDER_CLEARING, key="sandbox") == 0
    assert list(
        Transaction.objects.order_by("pk").values_list("kind", "reference", "created_by_id")
    ) == [
        ("payment_capture", f"capture:{order.pk}", None),
        ("refund", f"refund:{order.pk}", shop.seller.user_id),
    ]
    assert list(
        AuditEvent.objects.order_by("pk")[audits:].values_list(
            "action", "object_id", "actor_id", "after"
        )
    ) == [
        (
            "escrow.refund",
            str(order.pk),
            shop.seller.user_id,
            {"amount_minor": 2500, "currency": "CNY"},
        )
    ]
    assert escrow_held(currency="CNY") == 0
    assert ledger_check() == []


# --- shipping ----------------------------------------------------------------------------------


def test_partial_shipments_consume_stock_per_shipment_and_the_order_stays_paid(
    cast: dict[str, Person], category: Category
) -> None:
    shop = Shop(cast, category)
    product = shop.product(
        skus=[sku("RED", stock=50), sku("BLUE", stock=50, attributes={"colour": "Blue"})]
    )
    red, blue = sku_of(product, "RED"), sku_of(product, "BLUE")
    order = paid_order(shop.buyer, [(red, 10), (blue, 4)], address=shop.address)
    red_line, blue_line = order.lines.order_by("pk")
    notices = Notification.objects.count()

    services.order_ship(
        actor=shop.seller,
        order_id=order.pk,
        carrier="SF Express",
        tracking_number="SF1",
        quantities={red_line.pk: 3},
    )

    order.refresh_from_db()
    assert order.status == S.PAID
    assert order.auto_confirm_at is None
    assert list(order.lines.order_by("pk").values_list("shipped_quantity", flat=True)) == [3, 0]
    levels = Sku.objects.filter(pk__in=[red.pk, blue.pk]).order_by("pk")
    assert list(levels.values_list("stock", "reserved", "sold")) == [(40, 7, 3), (46, 4, 0)]
    assert list(
        OrderEvent.objects.filter(order=order)
        .order_by("-pk")
        .values_list("from_status", "to_status", "party", "actor_id", "reason")[:1]
    ) == [("paid", "paid", "supplier", shop.seller.user_id, "Partial shipment: SF Express SF1")]
    assert list(
        Notification.objects.order_by("pk")[notices:].values_list(
            "organization_id", "verb", "message"
        )
    ) == [
        (
            shop.buyer.organization_id,
            "order.partly_shipped",
            "Part of order %(number)s has shipped.",
        )
    ]

    # Something shipped: the order can no longer be cancelled, by anyone.
    before = state(order)
    for actor in (shop.buyer, shop.seller, shop.operator):
        with pytest.raises(IllegalTransition) as caught:
            services.order_cancel(actor=actor, order_id=order.pk)
        assert str(caught.value.message) == (
            "Part of this order has shipped, so it can no longer be cancelled; ask for a refund."
        )
    assert state(order) == before

    # The rest, in a second parcel: now the order has shipped.
    start = timezone.now()
    services.order_ship(actor=shop.seller, order_id=order.pk, carrier="YTO", tracking_number="YT2")
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    assert order.auto_confirm_at is not None
    assert (
        start + timedelta(days=10) <= order.auto_confirm_at <= timezone.now() + timedelta(days=10)
    )
    assert list(levels.values_list("stock", "reserved", "sold")) == [(40, 0, 10), (46, 0, 4)]
    assert [
        (s.carrier, s.tracking_number, sorted(s.lines.values_list("line__sku_code", "quantity")))
        for s in Shipment.objects.filter(order=order).order_by("pk")
    ] == [("SF Express", "SF1", [("RED", 3)]), ("YTO", "YT2", [("BLUE", 4), ("RED", 7)])]


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"carrier": " "}, "carrier", "Name the carrier (up to 60 characters)."),
        ({"carrier": "x" * 61}, "carrier", "Name the carrier (up to 60 characters)."),
        (
            {"tracking_number": ""},
            "tracking_number",
            "Enter the tracking number (up to 60 characters).",
        ),
        ({"quantities": {"LINE": 11}}, "lines", "Line W1 has 2 units left to ship."),
        ({"quantities": {"LINE": -1}}, "lines", "Line W1 has 2 units left to ship."),
        ({"quantities": {"LINE": 0}}, "lines", "Choose at least one unit to ship."),
        ({"quantities": {999_999: 1}}, "lines", "That line is not part of this order."),
    ],
)
def test_a_bad_shipment_is_refused_and_changes_nothing(
    cast: dict[str, Person], category: Category, kwargs: dict[str, Any], field: str, message: str
) -> None:
    shop = Shop(cast, category)
    trade = shop.build(S.PAID)
    line = trade.order.lines.get()
    values: dict[str, Any] = {"carrier": "SF Express", "tracking_number": "SF1"}
    values.update(kwargs)
    if "quantities" in values:
        values["quantities"] = {
            (line.pk if k == "LINE" else k): v for k, v in values["quantities"].items()
        }
    before = state(trade.order)

    with pytest.raises(ValidationFailed) as caught:
        services.order_ship(actor=shop.seller, order_id=trade.order.pk, **values)

    assert (caught.value.field, str(caught.value.message)) == (field, message)
    assert state(trade.order) == before


def test_an_unpaid_order_cannot_ship(cast: dict[str, Person], category: Category) -> None:
    shop = Shop(cast, category)
    trade = shop.build(S.PENDING_PAYMENT)
    before = state(trade.order)

    with pytest.raises(IllegalTransition) as caught:
        services.order_ship(
            actor=shop.seller, order_id=trade.order.pk, carrier="SF", tracking_number="1"
        )

    assert str(caught.value.message) == "Only paid orders can ship; this one is Awaiting payment."
    assert state(trade.order) == before


# --- receipt and commission ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit_price", "commission"),
    [
        (50, 3),  # 100 x 2.5% = 2.5: half up to 3 (half-even would say 2)
        (49, 2),  # 98 x 2.5% = 2.45: down to 2
        (70, 4),  # 140 x 2.5% = 3.5: half up to 4
    ],
)
def test_receipt_releases_escrow_to_the_supplier_minus_commission_rounded_half_up(
    cast: dict[str, Person], category: Category, unit_price: int, commission: int
) -> None:
    TradeSettings.objects.update_or_create(pk=1, defaults={"commission_rate_bp": 250})
    shop = Shop(cast, category)
    bowl = sku_of(shop.product(skus=[sku("B", ladder=[(2, unit_price)])]))
    order = shipped_order(shop.buyer, shop.seller, [(bowl, 2)], address=shop.address)
    total = unit_price * 2

    services.order_confirm_receipt(actor=shop.buyer, order_id=order.pk)

    order.refresh_from_db()
    assert order.status == S.COMPLETED
    assert order.received_at is not None
    assert order.closed_at is not None
    assert (order.paid_minor, order.released_minor, order.commission_minor) == (
        total,
        total,
        commission,
    )
    assert order.escrow_minor == 0
    assert (
        balance(AccountKind.SUPPLIER_AVAILABLE, shop.seller.organization_id) == total - commission
    )
    assert balance(AccountKind.PLATFORM_COMMISSION) == commission
    assert balance(AccountKind.ESCROW) == 0
    assert list(
        AuditEvent.objects.filter(action="escrow.release").values_list(
            "object_id", "actor_id", "after"
        )
    ) == [
        (
            str(order.pk),
            shop.buyer.user_id,
            {"amount_minor": total, "currency": "CNY", "commission_minor": commission},
        )
    ]
    assert ledger_check() == []


# --- sweeps -------------------------------------------------------------------------------------


def test_expiry_sweep_cancels_unpaid_orders_past_their_time_once(
    cast: dict[str, Person], category: Category
) -> None:
    shop = Shop(cast, category)
    card = shop.pending(method="sandbox")  # 30 minutes
    bank = shop.pending(method="bank_transfer")  # 72 hours
    paid = shop.build(S.PAID)
    card_order = Order.objects.get(pk=card.order.pk)
    assert card_order.expires_at is not None
    due = card_order.expires_at

    assert services.orders_expire_due(now=due - timedelta(seconds=1)) == 0
    assert Order.objects.get(pk=card.order.pk).status == S.PENDING_PAYMENT

    assert services.orders_expire_due(now=due) == 1
    card_order.refresh_from_db()
    assert card_order.status == S.CANCELLED
    assert list(
        OrderEvent.objects.filter(order=card_order)
        .order_by("-pk")
        .values_list("from_status", "to_status", "party", "actor_id", "reason")[:1]
    ) == [("pending_payment", "cancelled", "system", None, "Not paid in time.")]
    sku_id = card_order.lines.get().sku_id
    assert list(Sku.objects.filter(pk=sku_id).values_list("stock", "reserved")) == [(10, 0)]
    assert sorted(
        Notification.objects.filter(verb="order.cancelled").values_list(
            "organization_id", flat=True
        )
    ) == sorted([shop.buyer.organization_id, shop.seller.organization_id])

    # Run again: nothing more is due, nothing changes.
    before = (state(card.order), state(bank.order), state(paid.order))
    assert services.orders_expire_due(now=due) == 0
    assert (state(card.order), state(bank.order), state(paid.order)) == before

    assert services.orders_expire_due(now=timezone.now() + timedelta(hours=73)) == 1
    assert Order.objects.get(pk=bank.order.pk).status == S.CANCELLED
    assert Order.objects.get(pk=paid.order.pk).status == S.PAID


def test_auto_confirm_sweep_confirms_receipt_after_the_window_once(
    cast: dict[str, Person], category: Category
) -> None:
    shop = Shop(cast, category)
    trade = shop.build(S.SHIPPED)
    order = Order.objects.get(pk=trade.order.pk)
    assert order.auto_confirm_at is not None
    due = order.auto_confirm_at

    assert services.orders_auto_confirm_due(now=due - timedelta(seconds=1)) == 0
    assert Order.objects.get(pk=order.pk).status == S.SHIPPED

    assert services.orders_auto_confirm_due(now=due) == 1
    order.refresh_from_db()
    assert order.status == S.COMPLETED
    assert (order.released_minor, order.commission_minor) == (2500, 75)
    assert balance(AccountKind.SUPPLIER_AVAILABLE, shop.seller.organization_id) == 2425
    assert list(
        OrderEvent.objects.filter(order=order)
        .order_by("-pk")
        .values_list("from_status", "to_status", "party", "actor_id")[:2]
    ) == [("received", "completed", "system", None), ("shipped", "received", "system", None)]

    before = state(order)
    assert services.orders_auto_confirm_due(now=due + LATER) == 0
    assert state(order) == before
    assert ledger_check() == []


def test_a_payment_arriving_after_expiry_is_captured_and_refunded_at_once(
    cast: dict[str, Person], category: Category
) -> None:
    shop = Shop(cast, category)
    cup = sku_of(
        make_product(
            shop.actor("supplier_b"), category, title_en="Cup", skus=[sku("CUP", stock=10)]
        )
    )
    submitted = place(
        shop.buyer, [(sku_of(shop.product()), 2), (cup, 4)], method="sandbox", address=shop.address
    )
    bowls, cups = orders_of(submitted)
    services.order_cancel(actor=shop.buyer, order_id=cups.pk, reason="Found them elsewhere")
    assert submitted.payment.amount_minor == 2500 + 5000

    capture(submitted.payment)  # the buyer paid on the provider's page before noticing

    bowls.refresh_from_db()
    cups.refresh_from_db()
    assert (bowls.status, bowls.paid_minor, bowls.refunded_minor) == (S.PAID, 2500, 0)
    assert (cups.status, cups.paid_minor, cups.refunded_minor) == (S.CANCELLED, 5000, 5000)
    assert list(
        OrderEvent.objects.filter(order=cups)
        .order_by("-pk")
        .values_list("from_status", "to_status", "party", "reason")[:1]
    ) == [
        (
            "cancelled",
            "cancelled",
            "system",
            "Payment arrived after the order was cancelled; refunded in full.",
        )
    ]
    assert list(
        Notification.objects.filter(verb="payment.refunded_late").values_list(
            "organization_id", "params"
        )
    ) == [(shop.buyer.organization_id, {"reference": submitted.payment.reference})]
    assert list(Sku.objects.filter(pk=cup.pk).values_list("stock", "reserved")) == [(10, 0)]
    assert list(
        Transaction.objects.filter(entries__order_id=cups.pk)
        .distinct()
        .order_by("pk")
        .values_list("kind", "reference")
    ) == [("payment_capture", f"capture:{cups.pk}"), ("refund", f"refund:{cups.pk}:late")]
    assert balance(AccountKind.ESCROW) == 2500
    assert escrow_held(currency="CNY") == 2500

    # The provider sends the same news again: nothing moves twice.
    before = (state(bowls), state(cups))
    capture(submitted.payment)
    assert (state(bowls), state(cups)) == before
    assert ledger_check() == []


def test_an_expired_order_paid_late_is_refunded(
    cast: dict[str, Person], category: Category
) -> None:
    shop = Shop(cast, category)
    trade = shop.pending(method="sandbox")
    assert services.orders_expire_due(now=timezone.now() + timedelta(minutes=31)) == 1

    capture(trade.payment)

    order = Order.objects.get(pk=trade.order.pk)
    assert (order.status, order.paid_minor, order.refunded_minor) == (S.CANCELLED, 2500, 2500)
    assert balance(AccountKind.ESCROW) == 0
    assert balance(AccountKind.PROVIDER_CLEARING, key="sandbox") == 0
    assert Payment.objects.get(pk=trade.payment.pk).status == "captured"
