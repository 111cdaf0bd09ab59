"""Refunds after shipping: the buyer asks, the supplier (or operator) agrees in full or in part,
or declines with a reason; the buyer may withdraw."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from huoyuan.catalogue.models import Category
from huoyuan.catalogue.tests.factories import make_product, sku
from huoyuan.core.models import AuditEvent
from huoyuan.ledger.contracts import AccountKind, AccountRef
from huoyuan.ledger.models import Entry, Transaction
from huoyuan.ledger.selectors import account_balance, ledger_check
from huoyuan.notifications.models import Notification
from huoyuan.orders import services
from huoyuan.orders.errors import IllegalTransition, ValidationFailed
from huoyuan.orders.models import Order, OrderEvent
from huoyuan.orders.tests.factories import paid_order, shipped_order, sku_of

if TYPE_CHECKING:
    from conftest import Person
    from huoyuan.accounts.contracts import Actor

pytestmark = pytest.mark.django_db


def state(order: Order) -> dict[str, Any]:
    fresh = Order.objects.get(pk=order.pk)
    return {
        "order": [
            fresh.status,
            fresh.paid_minor,
            fresh.refunded_minor,
            fresh.released_minor,
            fresh.commission_minor,
            fresh.refund_requested_minor,
            fresh.auto_confirm_at,
            fresh.closed_at,
        ],
        "events": OrderEvent.objects.filter(order=order).count(),
        "notifications": Notification.objects.count(),
        "ledger": Transaction.objects.count(),
        "entries": Entry.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def balance(kind: str, organization_id: int | None = None, key: str = "") -> int:
    return account_balance(ref=AccountRef(kind, "CNY", organization_id, key))


def new_notices(since: int) -> list[tuple[int, str, str, dict[str, Any]]]:
    return list(
        Notification.objects.filter(pk__gt=since)
        .order_by("pk")
        .values_list("organization_id", "verb", "message", "params")
    )


def last_notice() -> int:
    return Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def last_event(order: Order) -> tuple[str, str, str, int | None, str]:
    return (
        OrderEvent.objects.filter(order=order)
        .order_by("-pk")
        .values_list("from_status", "to_status", "party", "actor_id", "reason")[0]
    )


@pytest.fixture
def buyer(buyer_x: Person) -> Actor:
    assert buyer_x.actor
    return buyer_x.actor


@pytest.fixture
def seller(supplier_a: Person) -> Actor:
    assert supplier_a.actor
    return supplier_a.actor


@pytest.fixture
def operator_actor(operator: Person) -> Actor:
    assert operator.actor
    return operator.actor


@pytest.fixture
def shipped(buyer: Actor, seller: Actor, category: Category) -> Order:
    """2 bowls at 12.50 (2500), paid by card and shipped."""
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL", stock=10)]))
    return shipped_order(buyer, seller, [(bowl, 2)])


@pytest.fixture
def requested(buyer: Actor, shipped: Order) -> Order:
    return services.order_request_refund(
        actor=buyer, order_id=shipped.pk, amount_minor=800, reason="Two bowls arrived broken"
    )


def test_buyer_asks_for_a_refund_and_the_supplier_hears_of_it(
    buyer: Actor, seller: Actor, shipped: Order
) -> None:
    since = last_notice()

    services.order_request_refund(
        actor=buyer, order_id=shipped.pk, amount_minor=800, reason="  Two bowls arrived broken "
    )

    order = Order.objects.get(pk=shipped.pk)
    assert (order.status, order.refund_requested_minor, order.escrow_minor) == (
        "refund_requested",
        800,
        2500,
    )
    assert last_event(order) == (
        "shipped",
        "refund_requested",
        "buyer",
        buyer.user_id,
        "Two bowls arrived broken",
    )
    assert new_notices(since) == [
        (
            seller.organization_id,
            "order.refund_requested",
            "The buyer asked for a refund on order %(number)s.",
            {"number": order.number, "reason": "Two bowls arrived broken"},
        )
    ]


@pytest.mark.parametrize(
    ("amount", "reason", "field", "message"),
    [
        (0, "Broken", "amount", "Ask for an amount between 0.01 and what you paid."),
        (-100, "Broken", "amount", "Ask for an amount between 0.01 and what you paid."),
        (2501, "Broken", "amount", "Ask for an amount between 0.01 and what you paid."),
        (800, "   ", "reason", "Say what went wrong."),
        (800, "x" * 501, "reason", "Keep the reason under 500 characters."),
    ],
)
def test_a_bad_refund_request_is_refused_and_changes_nothing(
    buyer: Actor, shipped: Order, amount: int, reason: str, field: str, message: str
) -> None:
    before = state(shipped)

    with pytest.raises(ValidationFailed) as caught:
        services.order_request_refund(
            actor=buyer, order_id=shipped.pk, amount_minor=amount, reason=reason
        )

    assert (caught.value.field, str(caught.value.message)) == (field, message)
    assert state(shipped) == before


def test_the_whole_paid_amount_may_be_asked_for(buyer: Actor, shipped: Order) -> None:
    services.order_request_refund(
        actor=buyer, order_id=shipped.pk, amount_minor=2500, reason="Wrong colour"
    )

    assert Order.objects.get(pk=shipped.pk).refund_requested_minor == 2500


def test_a_completed_order_cannot_be_refunded_any_more(buyer: Actor, shipped: Order) -> None:
    services.order_confirm_receipt(actor=buyer, order_id=shipped.pk)
    before = state(shipped)

    with pytest.raises(IllegalTransition) as caught:
        services.order_request_refund(
            actor=buyer, order_id=shipped.pk, amount_minor=100, reason="Broken"
        )

    assert str(caught.value.message) == (
        "An order that is Completed cannot become Refund requested (asked by the buyer)."
    )
    assert state(shipped) == before


def test_a_full_refund_returns_everything_to_the_buyer(
    buyer: Actor, seller: Actor, requested: Order
) -> None:
    since = last_notice()
    audits = AuditEvent.objects.count()

    services.order_resolve_refund(
        actor=seller, order_id=requested.pk, amount_minor=2500, reason="Sorry about that"
    )

    order = Order.objects.get(pk=requested.pk)
    assert order.status == "refunded"
    assert order.closed_at is not None
    assert (
        order.paid_minor,
        order.refunded_minor,
        order.released_minor,
        order.commission_minor,
    ) == (2500, 2500, 0, 0)
    assert last_event(order) == (
        "refund_requested",
        "refunded",
        "supplier",
        seller.user_id,
        "Sorry about that",
    )
    assert balance(AccountKind.ESCROW) == 0
    assert balance(AccountKind.PROVIDER_CLEARING, key="sandbox") == 0
    assert balance(AccountKind.SUPPLIER_AVAILABLE, seller.organization_id) == 0
    assert list(
        AuditEvent.objects.order_by("pk")[audits:].values_list("action", "actor_id", "after")
    ) == [("escrow.refund", seller.user_id, {"amount_minor": 2500, "currency": "CNY"})]
    assert [(n[0], n[1]) for n in new_notices(since)] == [(buyer.organization_id, "order.refunded")]
    assert ledger_check() == []


def test_a_partial_refund_releases_the_rest_to_the_supplier_minus_commission(
    buyer: Actor, seller: Actor, requested: Order
) -> None:
    since = last_notice()
    audits = AuditEvent.objects.count()

    services.order_resolve_refund(actor=seller, order_id=requested.pk, amount_minor=800)

    order = Order.objects.get(pk=requested.pk)
    commission = (1700 * 300 + 5000) // 10000  # 51
    assert order.status == "partly_refunded"
    assert (
        order.paid_minor,
        order.refunded_minor,
        order.released_minor,
        order.commission_minor,
        order.escrow_minor,
    ) == (2500, 800, 1700, commission, 0)
    assert balance(AccountKind.SUPPLIER_AVAILABLE, seller.organization_id) == 1700 - commission
    assert balance(AccountKind.PLATFORM_COMMISSION) == commission
    assert balance(AccountKind.ESCROW) == 0
    assert balance(AccountKind.PROVIDER_CLEARING, key="sandbox") == -1700
    assert list(AuditEvent.objects.order_by("pk")[audits:].values_list("action", "after")) == [
        ("escrow.refund", {"amount_minor": 800, "currency": "CNY"}),
        ("escrow.release", {"amount_minor": 1700, "currency": "CNY", "commission_minor": 51}),
    ]
    assert [(n[0], n[1]) for n in new_notices(since)] == [
        (buyer.organization_id, "order.partly_refunded")
    ]
    assert ledger_check() == []


def test_the_operator_settles_a_refund_and_both_sides_hear_of_it(
    buyer: Actor, seller: Actor, operator_actor: Actor, requested: Order
) -> None:
    since = last_notice()

    services.order_resolve_refund(
        actor=operator_actor, order_id=requested.pk, amount_minor=1000, reason="Split the loss"
    )

    order = Order.objects.get(pk=requested.pk)
    assert (order.status, order.refunded_minor, order.released_minor) == (
        "partly_refunded",
        1000,
        1500,
    )
    assert last_event(order)[2:] == ("operator", operator_actor.user_id, "Split the loss")
    assert sorted((n[0], n[1]) for n in new_notices(since)) == sorted(
        [
            (buyer.organization_id, "order.partly_refunded"),
            (seller.organization_id, "order.partly_refunded"),
        ]
    )


@pytest.mark.parametrize("amount", [0, -1, 2501])
def test_a_refund_beyond_escrow_is_refused_and_changes_nothing(
    seller: Actor, requested: Order, amount: int
) -> None:
    before = state(requested)

    with pytest.raises(ValidationFailed) as caught:
        services.order_resolve_refund(actor=seller, order_id=requested.pk, amount_minor=amount)

    assert (caught.value.field, str(caught.value.message)) == (
        "amount",
        "Refund an amount between 0.01 and what escrow holds for the order.",
    )
    assert state(requested) == before


def test_the_buyer_cannot_refund_itself(buyer: Actor, requested: Order) -> None:
    before = state(requested)

    with pytest.raises(IllegalTransition) as caught:
        services.order_resolve_refund(actor=buyer, order_id=requested.pk, amount_minor=2500)

    assert str(caught.value.message) == (
        "An order that is Refund requested cannot become Refunded (asked by the buyer)."
    )
    assert state(requested) == before


@pytest.mark.parametrize("who", ["supplier", "operator"])
def test_declining_needs_a_reason(
    who: str, seller: Actor, operator_actor: Actor, requested: Order
) -> None:
    actor = seller if who == "supplier" else operator_actor
    before = state(requested)

    with pytest.raises(ValidationFailed) as caught:
        services.order_decline_refund(actor=actor, order_id=requested.pk, reason="  ")

    assert (caught.value.field, str(caught.value.message)) == (
        "reason",
        "Tell the buyer why you decline.",
    )
    assert state(requested) == before


def test_the_supplier_declines_with_a_reason_and_the_order_is_shipped_again(
    buyer: Actor, seller: Actor, requested: Order
) -> None:
    auto_confirm_at = requested.auto_confirm_at
    since = last_notice()

    services.order_decline_refund(
        actor=seller, order_id=requested.pk, reason="The photos show no damage"
    )

    order = Order.objects.get(pk=requested.pk)
    assert (order.status, order.refund_requested_minor, order.escrow_minor) == ("shipped", 0, 2500)
    assert order.auto_confirm_at == auto_confirm_at  # 10 days away: more than a day left
    assert last_event(order) == (
        "refund_requested",
        "shipped",
        "supplier",
        seller.user_id,
        "The photos show no damage",
    )
    assert new_notices(since) == [
        (
            buyer.organization_id,
            "order.refund_declined",
            "The refund request on order %(number)s was declined: %(reason)s",
            {"number": order.number, "reason": "The photos show no damage"},
        )
    ]
    assert not Transaction.objects.filter(kind="refund").exists()


def test_after_a_late_decline_the_buyer_still_has_a_day_before_auto_confirm(
    seller: Actor, requested: Order
) -> None:
    Order.objects.filter(pk=requested.pk).update(
        auto_confirm_at=timezone.now() - timedelta(hours=1)
    )
    start = timezone.now()

    services.order_decline_refund(actor=seller, order_id=requested.pk, reason="Not damaged")

    order = Order.objects.get(pk=requested.pk)
    assert order.auto_confirm_at is not None
    assert start + timedelta(days=1) <= order.auto_confirm_at <= timezone.now() + timedelta(days=1)
    assert services.orders_auto_confirm_due(now=timezone.now()) == 0
    assert Order.objects.get(pk=requested.pk).status == "shipped"


def test_the_buyer_withdraws_a_request_without_a_reason_and_may_ask_again(
    buyer: Actor, seller: Actor, requested: Order
) -> None:
    since = last_notice()

    services.order_decline_refund(actor=buyer, order_id=requested.pk)

    order = Order.objects.get(pk=requested.pk)
    assert (order.status, order.refund_requested_minor) == ("shipped", 0)
    assert last_event(order) == ("refund_requested", "shipped", "buyer", buyer.user_id, "")
    assert [(n[0], n[1], n[2]) for n in new_notices(since)] == [
        (
            seller.organization_id,
            "order.refund_withdrawn",
            "The buyer withdrew the refund request on order %(number)s.",
        )
    ]

    services.order_request_refund(
        actor=buyer, order_id=requested.pk, amount_minor=300, reason="One bowl chipped after all"
    )
    assert Order.objects.get(pk=requested.pk).refund_requested_minor == 300


def test_declining_is_no_way_to_mark_a_paid_order_shipped(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL", stock=10)]))
    order = paid_order(buyer, [(bowl, 2)])
    before = state(order)

    with pytest.raises(IllegalTransition) as caught:
        services.order_decline_refund(actor=seller, order_id=order.pk, reason="Nothing to refund")

    assert str(caught.value.message) == (
        "There is no open refund request on this order; it is Paid, to ship."
    )
    assert state(order) == before
