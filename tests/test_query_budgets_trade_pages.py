"""Query budgets of the trade loop's pages: every list costs the same at two data sizes.

The same method as tests/test_query_budgets.py: request once to warm caches, count a second
request at the small size, grow the trade (more suppliers, orders in every status, reviews,
payouts, bank transfers, ledger history, notifications, cart lines, addresses), count again;
equal counts prove there is no N+1, the ceiling pins the number. Checkout's POST is pinned the
same way over carts of 2 lines at 1 supplier and 8 lines at 4 suppliers.
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

from huoyuan.accounts.contracts import Actor, OrganizationKind
from huoyuan.accounts.models import Membership
from huoyuan.accounts.selectors import actor_from_membership
from huoyuan.accounts.services import organization_create
from huoyuan.accounts.tests.factories import UserFactory
from huoyuan.catalogue.models import Category, Product
from huoyuan.catalogue.tests.factories import make_product, sku
from huoyuan.orders import services as orders
from huoyuan.orders.models import Order
from huoyuan.orders.tests.factories import address_for, capture, place, sku_of
from huoyuan.payments import services as payments

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Size:
    rounds: int  # each round: a new supplier's product, orders in each status, a review, ...


SMALL = Size(rounds=2)
LARGE = Size(rounds=5)


class Trade:
    """Grows buyer_x's trade with supplier_a and a growing set of other suppliers."""

    def __init__(self, cast: dict[str, Person], category: Category) -> None:
        self.cast = cast
        self.category = category
        self.rounds = 0
        self.address = address_for(self.actor("buyer_x"))
        for name in ("supplier_a",):
            payments.payout_account_set(
                actor=self.actor(name), holder_name="A", bank_name="B", account_number="62220000"
            )

    def actor(self, name: str) -> Actor:
        actor = self.cast[name].actor
        assert actor is not None
        return actor

    def grow_to(self, size: Size) -> None:
        with TestCase.captureOnCommitCallbacks(execute=True):
            while self.rounds < size.rounds:
                self.rounds += 1
                self._round(self.rounds)

    def _supplier(self, n: int) -> Actor:
        user = UserFactory()
        org = organization_create(user=user, kind=OrganizationKind.SUPPLIER, name=f"Kiln {n}")
        actor = actor_from_membership(Membership.objects.get(user=user, organization=org))
        payments.payout_account_set(
            actor=actor, holder_name=f"Kiln {n}", bank_name="B", account_number=f"6222{n:04d}"
        )
        return actor

    def _product(self, supplier: Actor, n: int) -> Product:
        return make_product(
            supplier,
            self.category,
            title_en=f"Bowl {n}",
            skus=[sku(f"R{n}", stock=500), sku(f"B{n}", stock=500, attributes={"colour": "Blue"})],
        )

    def _completed(self, supplier: Actor, product: Product, *, review: bool) -> Order:
        buyer = self.actor("buyer_x")
        submitted = place(buyer, [(sku_of(product, product.skus.first().code), 10)])  # type: ignore[union-attr]
        capture(submitted.payment)
        order = Order.objects.get(pk=submitted.order_ids[0])
        orders.order_ship(actor=supplier, order_id=order.pk, carrier="SF", tracking_number="1")
        orders.order_confirm_receipt(actor=buyer, order_id=order.pk)
        if review:
            made = orders.review_create(
                actor=buyer,
                order_id=order.pk,
                scores={"quality": 5, "accuracy": 4, "shipping_speed": 5, "communication": 4},
                text=f"Review {order.pk}",
            )
            if order.pk % 2:
                orders.review_reply(actor=supplier, review_id=made.pk, text="Thanks")
        return order

    def _round(self, n: int) -> None:
        buyer_x, buyer_y = self.actor("buyer_x"), self.actor("buyer_y")
        supplier_a = self.actor("supplier_a")
        other = self._supplier(n)
        mine, theirs = self._product(supplier_a, n), self._product(other, 100 + n)
        # supplier_a: a reviewed completed order, a paid one, one awaiting payment.
        self._completed(supplier_a, mine, review=True)
        paid = place(buyer_x, [(sku_of(mine, f"R{n}"), 10), (sku_of(mine, f"B{n}"), 10)])
        capture(paid.payment)
        place(buyer_x, [(sku_of(mine, f"R{n}"), 10)])
        # Another supplier: completed (money to pay out) and a bank transfer waiting.
        self._completed(other, theirs, review=False)
        place(buyer_x, [(sku_of(theirs, f"R{100 + n}"), 10)], method="bank_transfer")
        payments.payout_request(actor=other)
        payments.payout_request(actor=supplier_a)
        # What other lists show: buyer_y's cart across suppliers, buyer_x's address book.
        orders.cart_add(actor=buyer_y, sku_id=sku_of(mine, f"R{n}").pk, quantity=10)
        orders.cart_add(actor=buyer_y, sku_id=sku_of(theirs, f"B{100 + n}").pk, quantity=10)
        address_for(buyer_x, recipient=f"Receiver {n}")


@pytest.fixture
def trade(cast: dict[str, Person], category: Category) -> Trade:
    return Trade(cast, category)


def count_queries(fetch: Callable[[], HttpResponse], status: int = 200) -> tuple[int, Any]:
    fetch()  # warm the caches so both sizes measure the same work
    with CaptureQueriesContext(connection) as captured:
        response = fetch()
    assert response.status_code == status, response.content[:500]
    return len(captured.captured_queries), response


@dataclass(frozen=True)
class Budget:
    name: str
    who: str
    path: str
    ceiling: int
    items: str  # the context variable holding the list
    params: dict[str, str] | None = None

    def rows(self, response: Any) -> int:
        listed = response.context[self.items]
        if hasattr(listed, "paginator"):
            return int(listed.paginator.count)
        if hasattr(listed, "groups"):  # a cart quote
            return len(listed.lines)
        return len(listed)


# fmt: off
BUDGETS = [
    Budget("cart", "buyer_y", "/cart/", 9, "quote"),
    Budget("buyer's orders", "buyer_x", "/orders/", 7, "page", {"status": "all"}),
    Budget("supplier's inbox", "supplier_a", "/workbench/orders/", 7, "page", {"status": "all"}),
    Budget("balance with ledger history", "supplier_a", "/workbench/balance/", 10, "page"),
    Budget("balance payouts", "supplier_a", "/workbench/balance/", 10, "payouts"),
    Budget("operator bank transfers", "operator", "/operator/bank-transfers/", 6, "page"),
    Budget("operator payouts", "operator", "/operator/payouts/", 6, "page", {"status": "all"}),
    # Entries come with their accounts and owners in one query; the 2 queries of the permission
    # lookup decide whether owners link to their admin page.
    Budget("operator ledger", "operator", "/operator/ledger/", 9, "page"),
    Budget("notifications", "supplier_a", "/notifications/", 6, "page"),
    Budget("address book", "buyer_x", "/addresses/", 6, "page"),
    Budget("storefront reviews", "anonymous", "/s/supplier-a/", 8, "reviews"),
    Budget("product page reviews", "anonymous", "PRODUCT", 7, "reviews"),
]
# fmt: on


@pytest.mark.parametrize("budget", BUDGETS, ids=[b.name for b in BUDGETS])
def test_trade_list_runs_a_fixed_number_of_queries(budget: Budget, trade: Trade) -> None:
    person = trade.cast[budget.who]
    trade.grow_to(SMALL)
    path = budget.path
    if path == "PRODUCT":
        first = Product.objects.filter(supplier=trade.cast["supplier_a"].organization).first()
        assert first is not None
        path = f"/p/{first.pk}/"

    def fetch() -> HttpResponse:
        return person.client.get(path, budget.params or {})

    small, response = count_queries(fetch)
    rows_small = budget.rows(response)
    trade.grow_to(LARGE)
    large, response = count_queries(fetch)
    assert budget.rows(response) > rows_small > 0, "the list did not grow"
    assert small == large, f"{budget.name}: {small} queries at the small size, {large} at the large"
    assert large <= budget.ceiling, f"{budget.name}: {large} queries"


def test_order_page_costs_the_same_for_more_lines_shipments_and_events(
    trade: Trade, supplier_a: Person, buyer_x: Person
) -> None:
    trade.grow_to(SMALL)
    supplier = trade.actor("supplier_a")
    counts = []
    for skus in (1, 4):
        product = make_product(
            supplier,
            trade.category,
            title_en=f"Set {skus}",
            skus=[sku(f"S{skus}-{k}", stock=100) for k in range(skus)],
        )
        with TestCase.captureOnCommitCallbacks(execute=True):
            submitted = place(
                trade.actor("buyer_x"), [(s, 10) for s in product.skus.all()], address=trade.address
            )
            capture(submitted.payment)
        order = Order.objects.get(pk=submitted.order_ids[0])
        for line in order.lines.all():  # one shipment per line: more shipments and events
            orders.order_ship(
                actor=supplier,
                order_id=order.pk,
                carrier="SF",
                tracking_number=f"T{line.pk}",
                quantities={line.pk: line.quantity},
            )
        path = f"/orders/{order.pk}/"
        queries, _response = count_queries(lambda path=path: buyer_x.client.get(path))
        counts.append(queries)
    assert counts[0] == counts[1], f"1 line: {counts[0]} queries, 4 lines: {counts[1]}"
    assert counts[1] <= 10


def test_checkout_post_costs_the_same_for_more_lines_and_suppliers(
    trade: Trade, buyer_x: Person
) -> None:
    buyer = trade.actor("buyer_x")
    orders.trade_settings()  # the operator's settings row exists in any running marketplace
    counts = []
    for suppliers in (1, 4):
        products = [
            trade._product(trade._supplier(200 + 10 * suppliers + k), 200 + 10 * suppliers + k)
            for k in range(suppliers)
        ]
        lines = [s for product in products for s in product.skus.all()]
        for line in lines:
            orders.cart_add(actor=buyer, sku_id=line.pk, quantity=10)
        quote = orders.cart_quote(actor=buyer)
        assert (len(quote.lines), len(quote.groups)) == (2 * suppliers, suppliers)
        data = {
            "address": trade.address.pk,
            "payment_method": "sandbox",
            "quote_token": quote.token,
        }
        with CaptureQueriesContext(connection) as captured:
            response = buyer_x.client.post("/checkout/", data)
        assert response.status_code == 302, response.content[:500]
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], (
        f"2 lines: {counts[0]} queries, 8 lines at 4 suppliers: {counts[1]}"
    )
    assert counts[1] <= 29


def test_buy_now_review_and_placing_cost_the_same_for_any_address_book(
    trade: Trade, buyer_x: Person
) -> None:
    """The review lists the buyer's addresses: one query for all of them."""
    buyer = trade.actor("buyer_x")
    orders.trade_settings()
    product = trade._product(trade._supplier(300), 300)
    item = product.skus.first()
    assert item is not None
    buyer_x.client.get("/cart/")  # the session's first request does its own bookkeeping
    counts = []
    for extra_addresses in (0, 6):
        for n in range(extra_addresses):
            address_for(buyer, recipient=f"收货人 {n}")
        data = {"product_id": product.pk, "sku_id": item.pk, "quantity": 10, "kind": "wholesale"}
        with CaptureQueriesContext(connection) as reviewed:
            response = buyer_x.client.post("/checkout/buy-now/", data)
        assert response.status_code == 200, response.content[:500]
        quote = orders.buy_now_quote(actor=buyer, sku_id=item.pk, quantity=10, kind="wholesale")
        placing = {
            **data,
            "address": trade.address.pk,
            "payment_method": "sandbox",
            "quote_token": quote.token,
        }
        with CaptureQueriesContext(connection) as placed:
            response = buyer_x.client.post("/checkout/buy-now/", placing)
        assert response.status_code == 302, response.content[:500]
        counts.append((len(reviewed.captured_queries), len(placed.captured_queries)))
    assert counts[0] == counts[1], counts
    assert counts[1][0] <= 16
    assert counts[1][1] <= 30
