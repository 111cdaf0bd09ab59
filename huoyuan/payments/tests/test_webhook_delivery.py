"""Webhooks as a real provider delivers them: late, twice, out of order, forged, at once.

1,000 signed events (processing / succeeded / failed, and a type we ignore) for a few hundred
checkouts, each delivered one to three times in a shuffled order, must leave payments, orders and
the books exactly as delivering each once in order does. Forged, tampered, stale or malformed
deliveries are refused, recorded, and change nothing. Concurrent copies of one delivery capture
once. Everything goes through the real endpoint (``post_webhook``).
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from django.db import transaction
from django.test import Client

from huoyuan.accounts.contracts import Actor
from huoyuan.catalogue.models import Category, Sku
from huoyuan.catalogue.tests.factories import make_product, sku
from huoyuan.core.tests.concurrency import run_at_once, skip_unless_concurrent_database
from huoyuan.ledger.contracts import TransactionKind
from huoyuan.ledger.models import Account, Entry, Transaction
from huoyuan.ledger.selectors import ledger_check
from huoyuan.orders import services as orders
from huoyuan.orders.models import Order, TradeSettings
from huoyuan.orders.selectors import escrow_held
from huoyuan.orders.tests.factories import address_for, orders_of, place
from huoyuan.payments.adapters import SIGNATURE_HEADER, SIGNATURE_TOLERANCE_SECONDS, sign
from huoyuan.payments.contracts import PaymentStatus
from huoyuan.payments.models import Payment, WebhookEvent
from huoyuan.payments.sandbox import event_body
from huoyuan.payments.services import webhook_receive

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db

ENDPOINT = "/api/payments/webhooks/sandbox"
EVENTS = 1_000
SEED = 1_688


def post_webhook(body: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """Deliver one webhook as the provider does: a POST to the real endpoint.

    ``headers`` default to a valid signature made now. (Without the HTTP endpoint, the same
    delivery is ``services.webhook_receive(provider="sandbox", body=body, headers=headers)``.)
    """
    headers = headers if headers is not None else {SIGNATURE_HEADER: sign(body)}
    response = Client().post(ENDPOINT, body, content_type="application/json", headers=headers)
    return response.status_code, response.json()


def delivered(body: bytes) -> str:
    status, payload = post_webhook(body)
    assert status == 200, payload
    return str(payload["result"])


def received(body: bytes) -> str:
    """The same delivery straight to the handler the endpoint calls (for the reference run)."""
    return webhook_receive(provider="sandbox", body=body, headers={SIGNATURE_HEADER: sign(body)})


# --- the world --------------------------------------------------------------------------------


@dataclass
class Shop:
    buyers: list[Actor]
    skus: list[Sku]  # supplier_a's, supplier_b's


@pytest.fixture
def shop(
    supplier_a: Person, supplier_b: Person, buyer_x: Person, buyer_y: Person, category: Category
) -> Shop:
    for person in (supplier_a, supplier_b, buyer_x, buyer_y):
        assert person.actor
    TradeSettings.objects.update_or_create(
        pk=1, defaults={"max_unpaid_orders_per_buyer": 100_000, "max_unpaid_share_percent": 100}
    )
    bowl = make_product(
        supplier_a.actor,  # type: ignore[arg-type]
        category,
        skus=[sku("BOWL", stock=100_000, ladder=[(1, 1250)])],
    )
    cup = make_product(
        supplier_b.actor,  # type: ignore[arg-type]
        category,
        title_en="Cup",
        skus=[sku("CUP", stock=100_000, ladder=[(1, 990)])],
    )
    return Shop(
        buyers=[buyer_x.actor, buyer_y.actor],  # type: ignore[list-item]
        skus=[Sku.objects.get(product=bowl), Sku.objects.get(product=cup)],
    )


def state() -> dict[str, Any]:
    """Payments, orders, the books and stock, free of ids that depend on the order of writes."""
    return {
        "payments": [
            (reference, status, external, captured_at is not None)
            for reference, status, external, captured_at in Payment.objects.order_by(
                "pk"
            ).values_list("reference", "status", "external_reference", "captured_at")
        ],
        "orders": list(
            Order.objects.order_by("pk").values_list(
                "number", "status", "paid_minor", "refunded_minor", "released_minor"
            )
        ),
        "balances": sorted((str(a), a.balance_minor) for a in Account.objects.all()),
        "transactions": sorted(Transaction.objects.values_list("reference", "kind")),
        "entries": sorted(
            Entry.objects.values_list(
                "transaction__reference", "account__kind", "amount_minor", "order_id"
            )
        ),
        "stock": list(Sku.objects.order_by("pk").values_list("stock", "reserved", "sold")),
    }


def _sequences(rng: random.Random, payments: list[Payment]) -> list[list[bytes]]:
    """The events each payment's provider sends, in the order it sends them: 1,000 in all."""
    plans = [
        (70, ["payment.created", "payment.processing", "payment.succeeded"]),
        (15, ["payment.created", "payment.processing", "payment.failed"]),
        (10, ["payment.processing", "payment.succeeded"]),
        (5, ["payment.created", "payment.processing"]),  # still processing at the end
    ]
    weights = [w for w, _plan in plans]
    sequences: list[list[bytes]] = []
    left = EVENTS
    for payment in payments:
        if not left:
            break
        plan = rng.choices([p for _w, p in plans], weights=weights)[0][:left]
        sequences.append([event_body(payment, kind) for kind in plan])
        left -= len(plan)
    assert left == 0
    return sequences


def test_1000_events_delivered_one_to_three_times_in_any_order_end_as_delivered_in_order(
    shop: Shop,
) -> None:
    rng = random.Random(SEED)
    addresses = {buyer.organization_id: address_for(buyer) for buyer in shop.buyers}
    submitted = []
    for n in range(350):
        buyer = shop.buyers[n % 2]
        # Every fifth checkout buys from both suppliers: one payment, two orders.
        items = [(shop.skus[0], 2)] + ([(shop.skus[1], 3)] if n % 5 == 0 else [])
        submitted.append(place(buyer, items, address=addresses[buyer.organization_id]))
    # Some orders are cancelled before their money arrives: captured, then refunded at once.
    for n, done in enumerate(submitted):
        if n % 17 == 0:
            first = orders_of(done)[0]
            orders.order_cancel(actor=shop.buyers[n % 2], order_id=first.pk, reason="too slow")
    sequences = _sequences(rng, [s.payment for s in submitted])
    assert 300 <= len(sequences) <= 350
    in_order = [body for sequence in sequences for body in sequence]
    assert len(in_order) == EVENTS

    with transaction.atomic():  # the reference: each event once, in order; then undone
        for body in in_order:
            received(body)
        expected = state()
        transaction.set_rollback(True)

    copies = {body: rng.randint(1, 3) for body in in_order}
    shuffled = [body for body, n in copies.items() for _copy in range(n)]
    rng.shuffle(shuffled)
    results = Counter(delivered(body).split(";")[0].split(":")[0] for body in shuffled)

    assert state() == expected
    assert results["duplicate"] == len(shuffled) - EVENTS
    # The books: balanced, escrow is what the orders hold, no order captured twice.
    assert ledger_check() == []
    assert escrow_held(currency="CNY") == sum(
        a.balance_minor for a in Account.objects.filter(kind="escrow")
    )
    captures = Counter(
        Entry.objects.filter(
            transaction__kind=TransactionKind.PAYMENT_CAPTURE, amount_minor__gt=0
        ).values_list("order_id", flat=True)
    )
    assert set(captures.values()) == {1}
    for order in Order.objects.all():
        assert order.paid_minor in (0, order.total_minor)
        assert (order.paid_minor > 0) == (order.pk in captures)
    captured = Payment.objects.filter(status=PaymentStatus.CAPTURED)
    assert captured.count() == sum(1 for s in sequences if s[-1].find(b"succeeded") > 0)
    # Every event is recorded once, with how often it came.
    events = dict(
        WebhookEvent.objects.filter(signature_valid=True).values_list("event_id", "deliveries")
    )
    assert events == {json.loads(body)["id"]: n for body, n in copies.items()}


# --- refused deliveries -------------------------------------------------------------------------


@pytest.fixture
def pending(shop: Shop) -> Payment:
    return place(shop.buyers[0], [(shop.skus[0], 2), (shop.skus[1], 3)]).payment


def _tampered(body: bytes) -> bytes:
    data = json.loads(body)
    data["data"]["amount_minor"] = 1
    return json.dumps(data, separators=(",", ":")).encode()


def _forgeries(body: bytes) -> dict[str, tuple[bytes, dict[str, str]]]:
    now = int(time.time())
    stale = now - SIGNATURE_TOLERANCE_SECONDS - 60
    not_json = b'{"id": "evt_1", "type": "payment.succeeded", "data": '
    return {
        "signed with another secret": (body, {SIGNATURE_HEADER: sign(body, secret="guess")}),
        "body changed after signing": (_tampered(body), {SIGNATURE_HEADER: sign(body)}),
        "signature too old": (body, {SIGNATURE_HEADER: sign(body, timestamp=stale)}),
        "signature from the future": (
            body,
            {SIGNATURE_HEADER: sign(body, timestamp=now + SIGNATURE_TOLERANCE_SECONDS + 60)},
        ),
        "no signature": (body, {}),
        "garbled header": (body, {SIGNATURE_HEADER: "t=soon,v1=abc"}),
        "signed, but not JSON": (not_json, {SIGNATURE_HEADER: sign(not_json)}),
        "signed, but no payment in it": (
            b'{"id":"evt_2"}',
            {SIGNATURE_HEADER: sign(b'{"id":"evt_2"}')},
        ),
    }


@pytest.mark.parametrize(
    "forgery",
    [
        "signed with another secret",
        "body changed after signing",
        "signature too old",
        "signature from the future",
        "no signature",
        "garbled header",
        "signed, but not JSON",
        "signed, but no payment in it",
    ],
)
def test_a_forged_stale_or_malformed_delivery_is_refused_recorded_and_changes_nothing(
    pending: Payment, forgery: str
) -> None:
    before = state()
    body, headers = _forgeries(event_body(pending, "payment.succeeded"))[forgery]

    status, payload = post_webhook(body, headers)

    assert status == 400
    assert payload == {
        "code": "signature_invalid",
        "message": "The webhook signature is missing or wrong.",
        "field": None,
    }
    assert state() == before
    record = WebhookEvent.objects.get()
    assert (record.signature_valid, record.event_id, record.result) == (
        False,
        "",
        "refused: bad signature",
    )
    assert record.payload == body.decode()
    # The genuine delivery still works afterwards.
    assert delivered(event_body(pending, "payment.succeeded")).startswith("captured")


def test_a_capture_for_another_amount_is_refused_and_changes_nothing(pending: Payment) -> None:
    before = state()
    body = _tampered(event_body(pending, "payment.succeeded"))

    assert delivered(body) == "refused: amount differs"

    assert state() == before
    assert WebhookEvent.objects.get().signature_valid is True


def test_an_unknown_provider_is_not_found(pending: Payment) -> None:
    body = event_body(pending, "payment.succeeded")
    response = Client().post(
        "/api/payments/webhooks/paypal",
        body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: sign(body)},
    )
    assert response.status_code == 404
    assert not WebhookEvent.objects.exists()


def test_processing_after_success_and_failure_after_success_are_ignored(pending: Payment) -> None:
    assert delivered(event_body(pending, "payment.succeeded")).startswith("captured; 2 orders")
    after_capture = state()

    assert delivered(event_body(pending, "payment.processing")) == (
        "ignored: payment is already captured"
    )
    assert (
        delivered(event_body(pending, "payment.failed")) == "ignored: payment is already captured"
    )
    assert (
        delivered(event_body(pending, "payment.created")) == "ignored: event type payment.created"
    )

    assert state() == after_capture


# --- concurrent copies --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_copies_of_one_delivery_capture_once(pending: Payment) -> None:
    skip_unless_concurrent_database()
    body = event_body(pending, "payment.succeeded")
    processing = event_body(pending, "payment.processing")

    results = run_at_once(
        [lambda: delivered(body) for _i in range(8)] + [lambda: delivered(processing)] * 2
    )

    outcomes = Counter(r.split(";")[0] for r in results[:8])
    assert outcomes == {"captured": 1, "duplicate": 7}
    assert ledger_check() == []
    paid = list(Order.objects.order_by("pk").values_list("status", "paid_minor", "total_minor"))
    assert [(s, p == t) for s, p, t in paid] == [("paid", True), ("paid", True)]
    assert Transaction.objects.filter(kind=TransactionKind.PAYMENT_CAPTURE).count() == 2
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.CAPTURED
    assert WebhookEvent.objects.get(event_id=json.loads(body)["id"]).deliveries == 8
