"""Every state-changing trade endpoint is safe to retry with an ``Idempotency-Key``.

For each endpoint: three calls with one key, one after the other, have exactly one effect and all
answer the same (the second and third are replays); three at once, from three threads with their
own connections, likewise; the same key with another body is refused (422
``idempotency_key_reused``) and changes nothing.

"Exactly one effect" is measured per endpoint by what one call must change: a cart holding 5 more
units, one more address, one more ledger transaction, one more audit row, ... Several endpoints are
not idempotent by nature (adding to the cart, reordering, retrying a payment, setting the payout
account writes an audit row each time), so a second run would show.

Concurrent callers behave as real clients do: a request that failed with a 5xx is sent again with
the same key (the middleware rolled it back entirely). On PostgreSQL the duplicates wait on the
key's unique index and replay; SQLite's in-memory test database refuses a locked table at once
instead of waiting, which such a retry absorbs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from django.db.models import Sum
from django.http import HttpResponse
from django.test import Client, TestCase

from huoyuan.catalogue.models import Category, Product, Sku
from huoyuan.catalogue.tests.factories import make_product, sku
from huoyuan.core.models import AuditEvent
from huoyuan.core.tests.concurrency import run_at_once
from huoyuan.ledger.models import Transaction
from huoyuan.notifications.models import Notification
from huoyuan.notifications.services import Notice, notify_many
from huoyuan.orders import services as orders
from huoyuan.orders.models import Address, CartLine, Order, OrderEvent, Review, Shipment
from huoyuan.orders.tests.factories import address_for, capture, fail, place, sku_of
from huoyuan.payments import services as payments
from huoyuan.payments.models import Payment, Payout

if TYPE_CHECKING:
    from conftest import Person

ADDRESS = {"recipient": "李雷", "phone": "13800000000", "city": "义乌", "street": "工人北路 1 号"}
ACCOUNT = {"holder_name": "A Co.", "bank_name": "Bank of Ningbo", "account_number": "62221234"}
SCORES = {"quality": 5, "accuracy": 4, "shipping_speed": 5, "communication": 4}


@dataclass
class Shop:
    """What a case needs: the cast, a product of supplier_a and whatever the case prepared."""

    cast: dict[str, Person]
    product: Product
    objects: dict[str, Any]

    @property
    def sku(self) -> Sku:
        return sku_of(self.product)

    def actor(self, name: str) -> Any:
        return self.cast[name].actor


@dataclass(frozen=True)
class Case:
    name: str
    who: str
    method: str
    path: Callable[[Shop], str]
    body: Callable[[Shop], dict[str, Any] | None]
    status: int
    measure: Callable[[Shop], Any]  # what one call changes ...
    once: Callable[[Any], Any]  # ... and its value after exactly one call
    prepare: Callable[[Shop], None] = lambda shop: None
    other_body: Callable[[Shop], dict[str, Any] | None] | None = None


# --- preparing the state a case starts from --------------------------------------------------


def _order(shop: Shop, state: str, *, method: str = "sandbox") -> Order:
    """buyer_x's order of 10 units at supplier_a, brought to ``state``."""
    buyer, supplier = shop.actor("buyer_x"), shop.actor("supplier_a")
    with TestCase.captureOnCommitCallbacks(execute=True):
        submitted = place(buyer, [(shop.sku, 10)], method=method, address=_address(shop))
        shop.objects["payment"] = submitted.payment
        order = Order.objects.get(pk=submitted.order_ids[0])
        if state in ("pending", "bank"):
            return order
        capture(submitted.payment)
        if state == "paid":
            return order
        orders.order_ship(
            actor=supplier, order_id=order.pk, carrier="SF Express", tracking_number="SF1"
        )
        if state == "refund":
            orders.order_request_refund(
                actor=buyer, order_id=order.pk, amount_minor=1000, reason="Broken"
            )
        if state == "completed":
            orders.order_confirm_receipt(actor=buyer, order_id=order.pk)
    return order


def _address(shop: Shop) -> Address:
    if "address" not in shop.objects:
        shop.objects["address"] = address_for(shop.actor("buyer_x"))
    return shop.objects["address"]  # type: ignore[no-any-return]


def prepare_order(state: str, **kw: Any) -> Callable[[Shop], None]:
    def prepare(shop: Shop) -> None:
        shop.objects["order"] = _order(shop, state, **kw)

    return prepare


def prepare_address(shop: Shop) -> None:
    _address(shop)


def prepare_cart_line(shop: Shop) -> None:
    shop.objects["line"] = orders.cart_add(
        actor=shop.actor("buyer_x"), sku_id=shop.sku.pk, quantity=5
    )


def prepare_checkout(shop: Shop) -> None:
    prepare_cart_line(shop)
    shop.objects["token"] = orders.cart_quote(actor=shop.actor("buyer_x")).token
    _address(shop)


def prepare_buy_now(shop: Shop) -> None:
    shop.objects["buy_now_token"] = orders.buy_now_quote(
        actor=shop.actor("buyer_x"), sku_id=shop.sku.pk, quantity=5, kind="wholesale"
    ).token
    _address(shop)


def _buy_now(shop: Shop, method: str = "sandbox") -> dict[str, Any]:
    return {"sku_id": shop.sku.pk, "quantity": 5, "address_id": _address(shop).pk,
            "payment_method": method, "quote_token": shop.objects["buy_now_token"]}  # fmt: skip


def prepare_review(shop: Shop) -> None:
    order = _order(shop, "completed")
    shop.objects["review"] = orders.review_create(
        actor=shop.actor("buyer_x"), order_id=order.pk, scores=SCORES, text="Good"
    )


def prepare_failed_payment(shop: Shop) -> None:
    _order(shop, "pending")
    fail(shop.objects["payment"])


def prepare_balance(shop: Shop) -> None:
    _order(shop, "completed")
    payments.payout_account_set(actor=shop.actor("supplier_a"), **ACCOUNT)


def prepare_payout(shop: Shop) -> None:
    prepare_balance(shop)
    shop.objects["payout"] = payments.payout_request(actor=shop.actor("supplier_a"))


def prepare_notifications(shop: Shop) -> None:
    organization = shop.cast["supplier_a"].organization
    assert organization is not None
    notify_many(
        [
            Notice(organization_id=organization.pk, verb="test", message="Order %(n)s", params={})
            for _ in range(3)
        ]
    )


# --- what one call changes -------------------------------------------------------------------


def cart_units(shop: Shop) -> int:
    return int(CartLine.objects.aggregate(units=Sum("quantity"))["units"] or 0)


def order_of(shop: Shop) -> Order:
    order: Order = shop.objects["order"]
    order.refresh_from_db()
    return order


def order_moves(shop: Shop) -> tuple[str, int, int, int]:
    """The order's status, its events, the ledger's transactions and its shipments."""
    order = order_of(shop)
    return (
        order.status,
        OrderEvent.objects.filter(order=order).count(),
        Transaction.objects.count(),
        Shipment.objects.filter(order=order).count(),
    )


def moved(status: str, events: int = 1, transactions: int = 0, shipments: int = 0) -> Any:
    return lambda b: (status, b[1] + events, b[2] + transactions, b[3] + shipments)


def count(model: type[Any]) -> Callable[[Shop], int]:
    return lambda shop: model.objects.count()


def plus(n: int) -> Callable[[int], int]:
    return lambda before: before + n


def order_path(action: str) -> Callable[[Shop], str]:
    return lambda shop: f"/api/orders/{shop.objects['order'].pk}/{action}"


# fmt: off
CASES = [
    Case("add to cart", "buyer_x", "POST", lambda s: "/api/cart/lines",
         lambda s: {"sku_id": s.sku.pk, "quantity": 5}, 201, cart_units, plus(5),
         other_body=lambda s: {"sku_id": s.sku.pk, "quantity": 6}),
    Case("change a cart line", "buyer_x", "PUT",
         lambda s: f"/api/cart/lines/{s.objects['line'].pk}", lambda s: {"quantity": 7}, 200,
         cart_units, lambda b: 7, prepare_cart_line,
         other_body=lambda s: {"quantity": 8}),
    Case("remove a cart line", "buyer_x", "DELETE",
         lambda s: f"/api/cart/lines/{s.objects['line'].pk}", lambda s: None, 200,
         count(CartLine), plus(-1), prepare_cart_line),
    Case("add an address", "buyer_x", "POST", lambda s: "/api/addresses", lambda s: ADDRESS,
         201, count(Address), plus(1), other_body=lambda s: {**ADDRESS, "city": "宁波"}),
    Case("edit an address", "buyer_x", "PUT",
         lambda s: f"/api/addresses/{_address(s).pk}", lambda s: {**ADDRESS, "city": "上海"}, 200,
         lambda s: list(Address.objects.values_list("city", flat=True)), lambda b: ["上海"],
         prepare_address),
    Case("delete an address", "buyer_x", "DELETE",
         lambda s: f"/api/addresses/{_address(s).pk}", lambda s: None, 200,
         count(Address), plus(-1), prepare_address),
    Case("check out", "buyer_x", "POST", lambda s: "/api/checkout",
         lambda s: {"address_id": _address(s).pk, "payment_method": "sandbox",
                    "quote_token": s.objects["token"]}, 201,
         lambda s: (Order.objects.count(), Payment.objects.count(), s.sku.reserved),
         lambda b: (b[0] + 1, b[1] + 1, b[2] + 5), prepare_checkout,
         other_body=lambda s: {"address_id": _address(s).pk, "payment_method": "bank_transfer",
                               "quote_token": s.objects["token"]}),
    Case("buy now", "buyer_x", "POST", lambda s: "/api/buy-now", _buy_now, 201,
         lambda s: (Order.objects.count(), Payment.objects.count(), s.sku.reserved),
         lambda b: (b[0] + 1, b[1] + 1, b[2] + 5), prepare_buy_now,
         other_body=lambda s: _buy_now(s, "bank_transfer")),
    Case("cancel", "buyer_x", "POST", order_path("cancel"), lambda s: {"reason": "Twice"}, 200,
         order_moves, moved("cancelled"), prepare_order("pending"),
         other_body=lambda s: {"reason": "Other"}),
    Case("confirm receipt", "buyer_x", "POST", order_path("receive"), lambda s: {}, 200,
         order_moves, moved("completed", events=2, transactions=1), prepare_order("shipped")),
    Case("request a refund", "buyer_x", "POST", order_path("refund-request"),
         lambda s: {"amount": "5.00", "reason": "Broken"}, 200,
         order_moves, moved("refund_requested"), prepare_order("shipped"),
         other_body=lambda s: {"amount": "6.00", "reason": "Broken"}),
    Case("resolve a refund", "supplier_a", "POST", order_path("refund-resolve"),
         lambda s: {"amount": "10.00", "reason": "Agreed"}, 200,
         order_moves, moved("partly_refunded", transactions=2), prepare_order("refund")),
    Case("decline a refund", "supplier_a", "POST", order_path("refund-decline"),
         lambda s: {"reason": "No damage"}, 200,
         order_moves, moved("shipped"), prepare_order("refund")),
    Case("ship", "supplier_a", "POST", order_path("ship"),
         lambda s: {"carrier": "SF Express", "tracking_number": "SF9"}, 200,
         order_moves, moved("shipped", shipments=1), prepare_order("paid"),
         other_body=lambda s: {"carrier": "ZTO", "tracking_number": "SF9"}),
    Case("review", "buyer_x", "POST", order_path("review"), lambda s: SCORES, 201,
         count(Review), plus(1), prepare_order("completed")),
    Case("reorder", "buyer_x", "POST", order_path("reorder"), lambda s: None, 200,
         cart_units, plus(10), prepare_order("completed")),
    Case("reply to a review", "supplier_a", "POST",
         lambda s: f"/api/reviews/{s.objects['review'].pk}/reply", lambda s: {"text": "Thanks"},
         200, lambda s: Review.objects.filter(reply="Thanks").count(), plus(1), prepare_review),
    Case("retry a payment", "buyer_x", "POST",
         lambda s: f"/api/payments/{s.objects['payment'].reference}/retry", lambda s: None, 201,
         count(Payment), plus(1), prepare_failed_payment),
    Case("set the payout account", "supplier_a", "PUT", lambda s: "/api/supplier/payout-account",
         lambda s: ACCOUNT, 200, count(AuditEvent), plus(1),
         other_body=lambda s: {**ACCOUNT, "account_number": "99998888"}),
    Case("request a payout", "supplier_a", "POST", lambda s: "/api/supplier/payouts",
         lambda s: {}, 201, count(Payout), plus(1), prepare_balance),
    Case("match a bank transfer", "operator", "POST",
         lambda s: "/api/operator/bank-transfers/match",
         lambda s: {"reference": s.objects["payment"].reference, "amount": "125.00",
                    "bank_reference": "B1"}, 200,
         order_moves, moved("paid", transactions=1), prepare_order("bank", method="bank_transfer")),
    Case("mark a payout paid", "operator", "POST",
         lambda s: f"/api/operator/payouts/{s.objects['payout'].pk}/paid",
         lambda s: {"reference": "WIRE-1"}, 200, count(Transaction), plus(1), prepare_payout),
    Case("mark notifications read", "supplier_a", "POST", lambda s: "/api/notifications/read",
         lambda s: {}, 200, lambda s: Notification.objects.filter(read_at__isnull=False).count(),
         lambda b: Notification.objects.count(), prepare_notifications),
]
# fmt: on


def _shop(cast: dict[str, Person], category: Category, case: Case) -> Shop:
    supplier = cast["supplier_a"].actor
    assert supplier is not None
    product = make_product(supplier, category, skus=[sku("BOWL", stock=100)])
    shop = Shop(cast=cast, product=product, objects={})
    case.prepare(shop)
    return shop


def send(person: Person, case: Case, shop: Shop, key: str, body: Any = None) -> HttpResponse:
    """One call as a fresh client would make it (its own connection when on another thread)."""
    client = Client(raise_request_exception=False)
    data = case.body(shop) if body is None else body
    return client.generic(  # type: ignore[no-any-return]
        case.method,
        case.path(shop),
        b"" if data is None else json.dumps(data).encode(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {person.token}",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def same(responses: list[HttpResponse]) -> None:
    first = responses[0]
    for response in responses:
        assert (response.status_code, response.content) == (first.status_code, first.content)


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_three_serial_retries_have_one_effect_and_one_answer(
    cast: dict[str, Person], category: Category, case: Case
) -> None:
    shop = _shop(cast, category, case)
    person = cast[case.who]
    before = case.measure(shop)

    with TestCase.captureOnCommitCallbacks(execute=True):
        responses = [send(person, case, shop, "retry-me") for _ in range(3)]

    assert responses[0].status_code == case.status, responses[0].content[:300]
    same(responses)
    assert [r.get("Idempotent-Replayed") for r in responses] == [None, "true", "true"]
    assert case.measure(shop) == case.once(before)


def _until_answered(call: Callable[[], HttpResponse]) -> Callable[[], HttpResponse]:
    """A client's retry loop: a 5xx (rolled back whole) is sent again with the same key."""

    def job() -> HttpResponse:
        for attempt in range(100):
            response = call()
            if response.status_code < 500:
                return response
            time.sleep(0.01 * (attempt % 10 + 1))
        return response

    return job


@pytest.fixture
def quiet_tasks(settings: Any) -> None:
    """Committed notifications would be emailed inline by the test task backend, from each
    thread; the outbox is not what is tested here."""
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_three_concurrent_retries_have_one_effect_and_one_answer(
    cast: dict[str, Person], category: Category, case: Case, quiet_tasks: None
) -> None:
    shop = _shop(cast, category, case)
    person = cast[case.who]
    before = case.measure(shop)

    responses = run_at_once(
        [_until_answered(lambda: send(person, case, shop, "at-once")) for _ in range(3)],
        timeout=120,
    )

    assert responses[0].status_code == case.status, responses[0].content[:300]
    same(responses)
    assert sorted(str(r.get("Idempotent-Replayed")) for r in responses) == [
        "None",
        "true",
        "true",
    ]
    assert case.measure(shop) == case.once(before)


@pytest.mark.django_db
@pytest.mark.parametrize("case", [c for c in CASES if c.other_body], ids=lambda c: c.name)
def test_the_same_key_with_another_body_is_refused_and_changes_nothing(
    cast: dict[str, Person], category: Category, case: Case
) -> None:
    assert case.other_body is not None
    shop = _shop(cast, category, case)
    person = cast[case.who]
    before = case.measure(shop)
    with TestCase.captureOnCommitCallbacks(execute=True):
        first = send(person, case, shop, "reused")
    assert first.status_code == case.status
    after_one = case.measure(shop)
    assert after_one == case.once(before)

    refused = send(person, case, shop, "reused", body=case.other_body(shop))

    assert refused.status_code == 422
    assert refused.json() == {
        "code": "idempotency_key_reused",
        "message": (
            "This Idempotency-Key was already used for a different request; "
            "use a new key for a new request."
        ),
        "field": None,
    }
    assert case.measure(shop) == after_one
