"""Query budgets of the trade loop's JSON API: every list runs the same number of queries at a small
and at a large size of trade data, under a ceiling; checkout's count does not grow with its lines
or suppliers (see tests/test_query_budgets.py for the method).

The data grows through the services, as buyers, suppliers and the operator would make it: orders
from several suppliers in every state (paid, shipped in two parcels, completed and reviewed with a
reply, refunded, awaiting a bank transfer), payouts requested and paid, addresses, notifications,
and a cart across several suppliers with store-wide mixed batches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from huoyuan.accounts.contracts import Actor, OrganizationKind
from huoyuan.accounts.models import ApiToken, Membership
from huoyuan.accounts.selectors import actor_from_membership
from huoyuan.accounts.services import organization_create
from huoyuan.accounts.tests.factories import UserFactory
from huoyuan.catalogue.models import Category, Sku
from huoyuan.catalogue.tests.factories import make_product, sku
from huoyuan.orders import services as orders
from huoyuan.orders.models import Order
from huoyuan.orders.tests.factories import address_for, capture, place, sku_of
from huoyuan.payments import services as payments
from huoyuan.suppliers.services import supplier_profile_update

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db

SCORES = {"quality": 5, "accuracy": 4, "shipping_speed": 4, "communication": 5}


@dataclass(frozen=True)
class Size:
    suppliers: int  # besides supplier_a and supplier_b
    completed: int  # orders of buyer_x at supplier_a, reviewed, paid out
    open_orders: int  # paid / shipped in parts / refund requested, across suppliers
    bank_transfers: int  # checkouts waiting for the operator
    addresses: int
    cart_suppliers: int  # suppliers in buyer_x's cart
    cart_skus: int  # SKUs per supplier in the cart


SMALL = Size(
    suppliers=1,
    completed=1,
    open_orders=1,
    bank_transfers=1,
    addresses=1,
    cart_suppliers=1,
    cart_skus=1,
)
LARGE = Size(
    suppliers=5,
    completed=4,
    open_orders=4,
    bank_transfers=4,
    addresses=6,
    cart_suppliers=6,
    cart_skus=3,
)


class Trade:
    """Grows the same shape of trade data from one size to a larger one, through the services."""

    def __init__(self, cast: dict[str, Person], category: Category) -> None:
        self.cast = cast
        self.category = category
        self.suppliers: list[Actor] = [self.actor("supplier_a"), self.actor("supplier_b")]
        self.completed = self.open_orders = self.bank_transfers = self.addresses = 0
        self.products = 0
        self.address = address_for(self.actor("buyer_x"))
        self.addresses_of = {"buyer_x": self.address, "buyer_y": address_for(self.actor("buyer_y"))}
        payments.payout_account_set(
            actor=self.actor("supplier_a"),
            holder_name="supplier_a Co.",
            bank_name="Bank of Ningbo",
            account_number="6222000011112222",
        )

    def actor(self, name: str) -> Actor:
        actor = self.cast[name].actor
        assert actor is not None
        return actor

    def grow_to(self, size: Size) -> None:
        self.empty_cart("buyer_x")  # the cart is refilled to this size's shape at the end
        with TestCase.captureOnCommitCallbacks(execute=True):
            while len(self.suppliers) - 2 < size.suppliers:
                self._add_supplier()
            while self.completed < size.completed:
                self._complete_one()
            while self.open_orders < size.open_orders:
                self._open_one()
            while self.bank_transfers < size.bank_transfers:
                self.bank_transfers += 1
                place(
                    self.actor("buyer_x"),
                    [(self._sku(self.suppliers[0]), 4)],
                    method="bank_transfer",
                    address=self.address,
                )
            while self.addresses < size.addresses:
                self.addresses += 1
                address_for(self.actor("buyer_x"), city=f"City {self.addresses}")
            self._fill_cart(size)

    def _add_supplier(self) -> None:
        user = UserFactory()
        org = organization_create(
            user=user, kind=OrganizationKind.SUPPLIER, name=f"Factory {len(self.suppliers)}"
        )
        actor = actor_from_membership(Membership.objects.get(user=user, organization=org))
        supplier_profile_update(actor=actor, data={"mixed_batch_moq": 20})
        self.suppliers.append(actor)

    def _sku(self, supplier: Actor, count: int = 1) -> Sku:
        self.products += 1
        product = make_product(
            supplier,
            self.category,
            title_en=f"Bowl {self.products}",
            skus=[
                sku(f"S{self.products}-{k}", stock=1000, attributes={"colour": f"C{k}"})
                for k in range(count)
            ],
        )
        return sku_of(product)

    def empty_cart(self, buyer: str) -> None:
        actor = self.actor(buyer)
        for line in orders.cart_quote(actor=actor).lines:
            orders.cart_remove(actor=actor, line_id=line.line_id)

    def _paid(self, buyer: str, items: list[tuple[Sku, int]]) -> list[Order]:
        """Check out these items only (whatever the cart held is removed first)."""
        self.empty_cart(buyer)
        submitted = place(self.actor(buyer), items, address=self.addresses_of[buyer])
        capture(submitted.payment)
        return list(Order.objects.filter(pk__in=submitted.order_ids).order_by("pk"))

    def _complete_one(self) -> None:
        self.completed += 1
        supplier_a, buyer_x = self.actor("supplier_a"), self.actor("buyer_x")
        (order,) = self._paid("buyer_x", [(self._sku(supplier_a), 10)])
        line = order.lines.get()
        for units, number in ((4, "SF1"), (6, "SF2")):
            orders.order_ship(
                actor=supplier_a,
                order_id=order.pk,
                carrier="SF Express",
                tracking_number=number,
                quantities={line.pk: units},
            )
        orders.order_confirm_receipt(actor=buyer_x, order_id=order.pk)
        review = orders.review_create(actor=buyer_x, order_id=order.pk, scores=SCORES, text="Ok")
        orders.review_reply(actor=supplier_a, review_id=review.pk, text="Thanks")
        payout = payments.payout_request(actor=supplier_a)
        if self.completed % 2 == 0:
            payments.payout_mark_paid(
                actor=self.actor("operator"), payout_id=payout.pk, reference=f"W{self.completed}"
            )

    def _open_one(self) -> None:
        """Orders of both buyers across suppliers: paid, shipped, refund requested."""
        self.open_orders += 1
        n = self.open_orders
        supplier = self.suppliers[n % len(self.suppliers)]
        items = [(self._sku(self.actor("supplier_a")), 10), (self._sku(supplier), 30)]
        first, *_rest = self._paid("buyer_x" if n % 2 else "buyer_y", items)
        buyer = self.actor("buyer_x" if n % 2 else "buyer_y")
        orders.order_ship(
            actor=self.actor("supplier_a"), order_id=first.pk, carrier="ZTO", tracking_number="Z1"
        )
        if n % 2:
            orders.order_request_refund(
                actor=buyer, order_id=first.pk, amount_minor=500, reason="One broke"
            )

    def _fill_cart(self, size: Size) -> None:
        buyer_x = self.actor("buyer_x")
        for supplier in self.suppliers[: size.cart_suppliers]:
            product_sku = self._sku(supplier, size.cart_skus)
            for item in Sku.objects.filter(product_id=product_sku.product_id):
                orders.cart_add(actor=buyer_x, sku_id=item.pk, quantity=12)
        sample = self._sku(self.suppliers[0])
        Sku.objects.filter(pk=sample.pk).update(sample_price_minor=900)
        orders.cart_add(actor=buyer_x, sku_id=sample.pk, quantity=1, kind="sample")


@pytest.fixture
def trade(cast: dict[str, Person], category: Category) -> Trade:
    return Trade(cast, category)


def count_queries(fetch: Callable[[], HttpResponse]) -> tuple[int, HttpResponse]:
    fetch()  # warm the caches (a token's last use, the trade settings row)
    with CaptureQueriesContext(connection) as captured:
        response = fetch()
    assert response.status_code == 200, response.content[:500]
    return len(captured.captured_queries), response


def _count(body: Any) -> int:
    return int(body["count"])


def _cart_lines(body: Any) -> int:
    return sum(len(group["lines"]) for group in body["groups"])


def _entries(body: Any) -> int:
    return sum(len(item["entries"]) for item in body["items"]) + int(body["count"])


@dataclass(frozen=True)
class Budget:
    who: str
    path: str
    ceiling: int
    items: Callable[[Any], int] = _count
    params: dict[str, str] | None = None

    @property
    def name(self) -> str:
        query = "?" + "&".join(f"{k}={v}" for k, v in self.params.items()) if self.params else ""
        return f"GET {self.path}{query} ({self.who})"


# fmt: off
BUDGETS = [
    Budget("buyer_x", "/api/cart", 7, _cart_lines),
    Budget("buyer_x", "/api/addresses", 4),
    Budget("buyer_x", "/api/orders", 5),
    Budget("buyer_x", "/api/orders", 5, params={"status": "to_ship"}),
    Budget("supplier_a", "/api/orders", 5),
    Budget("supplier_a", "/api/orders", 5, params={"status": "refunds"}),
    Budget("supplier_a", "/api/supplier/ledger", 4),
    Budget("supplier_a", "/api/supplier/payouts", 4),
    Budget("supplier_a", "/api/notifications", 4),
    Budget("buyer_x", "/api/notifications", 4),
    Budget("anonymous", "/api/suppliers/supplier-a/reviews", 4),
    Budget("operator", "/api/operator/bank-transfers", 4),
    Budget("operator", "/api/operator/payouts", 4),
    Budget("operator", "/api/operator/payouts", 4, params={"status": "requested"}),
    Budget("operator", "/api/operator/ledger", 6, _entries),
]
# fmt: on


@pytest.mark.parametrize("budget", BUDGETS, ids=lambda b: b.name)
def test_list_runs_a_fixed_number_of_queries(budget: Budget, trade: Trade) -> None:
    person = trade.cast[budget.who]

    def fetch() -> HttpResponse:
        return person.api("GET", budget.path, budget.params)  # type: ignore[no-any-return]

    trade.grow_to(SMALL)
    small, response = count_queries(fetch)
    rows_small = budget.items(response.json())
    trade.grow_to(LARGE)
    large, response = count_queries(fetch)
    assert budget.items(response.json()) > rows_small > 0, "the list did not grow"
    assert small == large, f"{budget.name}: {small} queries small, {large} large"
    assert large <= budget.ceiling, f"{budget.name}: {large} queries"


def _getter(person: Person, path: str) -> Callable[[], HttpResponse]:
    return lambda: person.api("GET", path)  # type: ignore[no-any-return]


def test_order_detail_costs_the_same_for_one_line_and_many(trade: Trade) -> None:
    """Lines, events, shipments with their lines, the review: a fixed number of queries."""
    trade.grow_to(SMALL)
    supplier_a = trade.actor("supplier_a")
    counts = []
    for skus, parcels in ((1, 1), (5, 3)):
        product_sku = trade._sku(supplier_a, skus)
        items = [(s, 10) for s in Sku.objects.filter(product_id=product_sku.product_id)]
        with TestCase.captureOnCommitCallbacks(execute=True):
            (order,) = trade._paid("buyer_x", items)
            lines = list(order.lines.order_by("pk"))
            for parcel in range(parcels):
                orders.order_ship(
                    actor=supplier_a,
                    order_id=order.pk,
                    carrier="SF Express",
                    tracking_number=f"P{parcel}",
                    # one unit of each line per parcel, the rest in the last one
                    quantities={
                        line.pk: 10 - (parcels - 1) if parcel == parcels - 1 else 1
                        for line in lines
                    },
                )
            orders.order_confirm_receipt(actor=trade.actor("buyer_x"), order_id=order.pk)
            orders.review_create(
                actor=trade.actor("buyer_x"), order_id=order.pk, scores=SCORES, text=""
            )
        queries, response = count_queries(_getter(trade.cast["buyer_x"], f"/api/orders/{order.pk}"))
        body = response.json()
        assert (len(body["lines"]), len(body["shipments"])) == (skus, parcels)
        counts.append(queries)
    assert counts[0] == counts[1], f"1 line: {counts[0]} queries, 5 lines: {counts[1]}"
    assert counts[1] <= 8


def _checkout_queries(trade: Trade, suppliers: int, lines: int) -> tuple[int, int]:
    """Fill buyer_x's cart with ``lines`` SKUs across ``suppliers`` and check it out by API."""
    buyer = trade.cast["buyer_x"]
    buyer_x = trade.actor("buyer_x")
    trade.empty_cart("buyer_x")
    per_supplier = lines // suppliers
    for supplier in trade.suppliers[:suppliers]:
        product_sku = trade._sku(supplier, per_supplier)
        for item in Sku.objects.filter(product_id=product_sku.product_id):
            orders.cart_add(actor=buyer_x, sku_id=item.pk, quantity=20)
    token = orders.cart_quote(actor=buyer_x).token
    body = {"address_id": trade.address.pk, "payment_method": "sandbox", "quote_token": token}
    buyer.api("GET", "/api/cart")  # warm the token's last use
    with CaptureQueriesContext(connection) as captured:
        response = buyer.api("POST", "/api/checkout", body)
    assert response.status_code == 201, response.content[:500]
    placed = response.json()["orders"]
    assert (len(placed), sum(len(o["lines"]) for o in placed)) == (suppliers, lines)
    return len(captured.captured_queries), len(placed)


CHECKOUT_CEILING = 30


def test_checkout_runs_at_most_30_queries_for_1_or_12_lines_and_1_or_6_suppliers(
    trade: Trade,
) -> None:
    while len(trade.suppliers) < 6:
        trade._add_supplier()
    orders.trade_settings()  # created on first use: not the checkout's cost
    one, _orders = _checkout_queries(trade, suppliers=1, lines=1)
    many, _orders = _checkout_queries(trade, suppliers=6, lines=12)
    assert one == many, f"1 line at 1 supplier: {one} queries; 12 lines at 6: {many}"
    assert many <= CHECKOUT_CEILING


BUY_NOW_CEILING = 24


def test_buy_now_quote_and_placement_run_a_fixed_number_of_queries(trade: Trade) -> None:
    """Buy now is one SKU by definition; its cost must not depend on what the buyer already has."""
    buyer = trade.cast["buyer_x"]
    buyer_x = trade.actor("buyer_x")
    orders.trade_settings()
    item = trade._sku(trade.suppliers[0], 1)
    counts = []
    for _n in range(2):
        query = {"sku_id": item.pk, "quantity": 20}
        # A token records its last use at most once a minute: not this endpoint's cost.
        ApiToken.objects.update(last_used_at=timezone.now())
        with CaptureQueriesContext(connection) as quoted:
            response = buyer.api("GET", "/api/buy-now/quote", query)
        assert response.status_code == 200, response.content[:500]
        body = {
            **query,
            "address_id": trade.address.pk,
            "payment_method": "sandbox",
            "quote_token": orders.buy_now_quote(
                actor=buyer_x, sku_id=item.pk, quantity=20, kind="wholesale"
            ).token,
        }
        ApiToken.objects.update(last_used_at=timezone.now())
        with CaptureQueriesContext(connection) as placed:
            response = buyer.api("POST", "/api/buy-now", body)
        assert response.status_code == 201, response.content[:500]
        counts.append((len(quoted.captured_queries), len(placed.captured_queries)))
    assert counts[0] == counts[1], counts
    assert counts[1][0] <= 8
    assert counts[1][1] <= BUY_NOW_CEILING
