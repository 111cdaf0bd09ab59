"""Mass assignment: a body that also tries to set a price, a status, who the buyer or supplier is,
paid amounts or staff flags is refused whole (422 naming the field) and changes nothing.

Each row is a valid request plus one field the caller may not set; the valid request alone then
succeeds, so the refusal is the unknown field's doing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from django.test import TestCase

from huoyuan.accounts.contracts import Role
from huoyuan.accounts.tests.factories import MembershipFactory
from huoyuan.catalogue.models import Category
from huoyuan.catalogue.tests.factories import make_product
from huoyuan.orders import services as orders
from tests.matrix import product_in
from tests.matrix_trade_world import TradeWorld, build_trade
from tests.test_authorization_matrix import snapshot

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db

ADDRESS = {"recipient": "李雷", "phone": "13800000000", "city": "义乌", "street": "工人北路 1 号"}
ACCOUNT = {"holder_name": "A Co.", "bank_name": "Bank of Ningbo", "account_number": "62221234"}
SCORES = {"quality": 5, "accuracy": 4, "shipping_speed": 5, "communication": 4}


@dataclass
class Market:
    cast: dict[str, Person]
    trade: TradeWorld
    staff_x: Any

    def org(self, name: str) -> int:
        organization = self.cast[name].organization
        assert organization is not None
        return organization.pk


def _checkout(m: Market) -> dict[str, Any]:
    buyer = m.cast["buyer_x"].actor
    assert buyer is not None
    return {
        "address_id": m.trade.address_x.pk,
        "payment_method": "sandbox",
        "quote_token": orders.cart_quote(actor=buyer).token,
    }


def _buy_now(m: Market) -> dict[str, Any]:
    buyer = m.cast["buyer_x"].actor
    assert buyer is not None
    sku_id = m.trade.sku_a.pk
    return {
        "sku_id": sku_id,
        "quantity": 2,
        "address_id": m.trade.address_x.pk,
        "payment_method": "sandbox",
        "quote_token": orders.buy_now_quote(
            actor=buyer, sku_id=sku_id, quantity=2, kind="wholesale"
        ).token,
    }


@dataclass(frozen=True)
class Attempt:
    who: str
    method: str
    path: Callable[[Market], str]
    body: Callable[[Market], dict[str, Any]]
    field: str  # the field it slips in, as the error names it
    value: Callable[[Market], Any]
    ok: int  # the status of the same request without the field

    @property
    def id(self) -> str:
        return f"{self.method} {self.path.__doc__ or ''} +{self.field}"


def at(template: str, ref: str = "") -> Callable[[Market], str]:
    def path(m: Market) -> str:
        if not ref:
            return template
        value = getattr(m.trade, ref, None) or getattr(m, ref)
        return template.format(getattr(value, "pk", value))

    path.__doc__ = template
    return path


def value(v: Any) -> Callable[[Market], Any]:
    return lambda m: v


# fmt: off
ATTEMPTS = [
    # prices
    Attempt("buyer_x", "POST", at("/api/cart/lines"),
            lambda m: {"sku_id": m.trade.sku_a.pk, "quantity": 2},
            "unit_price_minor", value(1), 201),
    Attempt("buyer_x", "POST", at("/api/cart/lines"),
            lambda m: {"sku_id": m.trade.sku_a.pk, "quantity": 2}, "price", value("0.01"), 201),
    Attempt("buyer_x", "PUT", at("/api/cart/lines/{}", "cart_line_x"), lambda m: {"quantity": 3},
            "unit_price_minor", value(1), 200),
    Attempt("buyer_x", "POST", at("/api/checkout"), _checkout, "total_minor", value(1), 201),
    Attempt("buyer_x", "POST", at("/api/buy-now"), _buy_now, "unit_price_minor", value(1), 201),
    Attempt("supplier_a", "POST", at("/api/supplier/products"), lambda m: product_in(),
            "price_min_minor", value(1), 201),
    # statuses
    Attempt("buyer_x", "POST", at("/api/checkout"), _checkout, "status", value("paid"), 201),
    Attempt("buyer_x", "POST", at("/api/buy-now"), _buy_now, "status", value("paid"), 201),
    Attempt("buyer_x", "POST", at("/api/orders/{}/cancel", "order_pending"),
            lambda m: {"reason": "Twice"}, "status", value("refunded"), 200),
    Attempt("supplier_a", "POST", at("/api/orders/{}/ship", "order_paid"),
            lambda m: {"carrier": "SF", "tracking_number": "SF9"}, "status", value("completed"),
            200),
    Attempt("operator", "POST", at("/api/operator/bank-transfers/match"),
            lambda m: {"reference": m.trade.payment_bank, "amount": "25.00",
                       "bank_reference": "B1"}, "status", value("captured"), 200),
    Attempt("supplier_a", "POST", at("/api/supplier/products"), lambda m: product_in(),
            "status", value("published"), 201),
    # whose it is
    Attempt("buyer_x", "POST", at("/api/addresses"), lambda m: ADDRESS, "buyer_id",
            lambda m: m.org("buyer_y"), 201),
    Attempt("buyer_x", "PUT", at("/api/addresses/{}", "address_x"), lambda m: ADDRESS, "buyer",
            lambda m: m.org("buyer_y"), 200),
    Attempt("buyer_x", "POST", at("/api/checkout"), _checkout, "supplier_id",
            lambda m: m.org("supplier_b"), 201),
    Attempt("buyer_x", "POST", at("/api/buy-now"), _buy_now, "buyer_id",
            lambda m: m.org("buyer_y"), 201),
    Attempt("buyer_x", "POST", at("/api/orders/{}/review", "order_completed"),
            lambda m: SCORES, "supplier_id", lambda m: m.org("supplier_b"), 201),
    Attempt("supplier_a", "PUT", at("/api/supplier/payout-account"), lambda m: ACCOUNT,
            "supplier_id", lambda m: m.org("supplier_b"), 200),
    Attempt("supplier_a", "POST", at("/api/notifications/read"), lambda m: {},
            "organization_id", lambda m: m.org("supplier_b"), 200),
    Attempt("supplier_a", "POST", at("/api/supplier/products"), lambda m: product_in(),
            "supplier", value("supplier-b"), 201),
    # money paid or moved
    Attempt("buyer_x", "POST", at("/api/orders/{}/refund-request", "order_shipped"),
            lambda m: {"amount": "1.00", "reason": "Broken"}, "paid_minor", value(0), 200),
    Attempt("supplier_a", "POST", at("/api/orders/{}/refund-resolve", "order_refund"),
            lambda m: {"amount": "1.00", "reason": "Ok"}, "released_minor", value(0), 200),
    Attempt("supplier_a", "POST", at("/api/supplier/payouts"), lambda m: {}, "amount_minor",
            value(10**9), 201),
    Attempt("operator", "POST", at("/api/operator/payouts/{}/paid", "payout_a"),
            lambda m: {"reference": "WIRE-1"}, "amount_minor", value(1), 200),
    Attempt("supplier_a", "POST", at("/api/reviews/{}/reply", "review_a"),
            lambda m: {"text": "Thanks"}, "quality", value(5), 200),
    Attempt("supplier_a", "PUT", at("/api/supplier/profile"), lambda m: {"tagline": "Bowls"},
            "rating_average", value(5.0), 200),
    Attempt("supplier_a", "PUT", at("/api/supplier/profile"), lambda m: {"tagline": "Bowls"},
            "verification_level", value(3), 200),
    # staff flags
    Attempt("buyer_x", "POST", at("/api/tokens"), lambda m: {"name": "ci"}, "is_staff",
            value(True), 201),
    Attempt("buyer_x", "POST", at("/api/organization/invitations"),
            lambda m: {"email": "new@cast.test", "role": "staff"}, "is_superuser", value(True),
            201),
    Attempt("buyer_x", "POST", at("/api/organization/members/{}/role", "staff_x"),
            lambda m: {"role": "admin"}, "is_staff", value(True), 200),
]
# fmt: on


@pytest.fixture
def market(cast: dict[str, Person], category: Category) -> Market:
    supplier_a = cast["supplier_a"].actor
    assert supplier_a is not None
    trade = build_trade(cast, make_product(supplier_a, category))
    staff_x = MembershipFactory(organization=cast["buyer_x"].organization, role=Role.STAFF)
    return Market(cast=cast, trade=trade, staff_x=staff_x)


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda a: a.id)
def test_a_body_setting_a_protected_field_is_refused_and_changes_nothing(
    attempt: Attempt, market: Market
) -> None:
    person = market.cast[attempt.who]
    path, body = attempt.path(market), attempt.body(market)
    before = snapshot()

    response = person.api(attempt.method, path, {**body, attempt.field: attempt.value(market)})

    assert response.status_code == 422, response.content[:300]
    assert response.json()["code"] == "invalid"
    assert response.json()["field"] == attempt.field
    assert snapshot() == before

    with TestCase.captureOnCommitCallbacks(execute=True):
        allowed = person.api(attempt.method, path, body)
    assert allowed.status_code == attempt.ok, allowed.content[:300]


def test_a_product_sku_cannot_set_its_sold_or_reserved_units(supplier_a: Person) -> None:
    for name in ("sold", "reserved"):
        body = product_in()
        body["skus"][0][name] = 500
        before = snapshot()
        response = supplier_a.api("POST", "/api/supplier/products", body)
        assert response.status_code == 422
        assert response.json()["field"] == f"skus.0.{name}"
        assert snapshot() == before
