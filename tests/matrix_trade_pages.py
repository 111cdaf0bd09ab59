"""Authorization matrix rows for the trade loop's pages (see tests/matrix.py).

Order actions post to their own URL each; another side's action is a 404 like another tenant's
order (the page never offers it). Writes are limited to the people named in ``writes`` where a
request that is answered (not denied) must still change nothing, e.g. an empty cart at checkout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from huoyuan.orders import services as orders
from huoyuan.orders.models import OrderLine
from tests.matrix import (
    LOGIN,
    NONE,
    Row,
    Status,
    World,
    buyer_x_page,
    expect,
    operator_page,
    page,
    signed_in,
    supplier_page,
)


@dataclass(frozen=True)
class TradeRow(Row):
    """A row whose request needs the trade world although its URL names none of its objects."""

    def url(self, w: World) -> str:
        w.trade  # noqa: B018 - builds buyer_x's orders, cart and address first
        return super().url(w)


@dataclass(frozen=True)
class ReviewedOrderRow(Row):
    """A row on the order that review_a is about (the supplier replies there)."""

    def url(self, w: World) -> str:
        return reverse(self.key, args=[w.trade.review_a.order_id])  # type: ignore[arg-type]


def trade_page(method: str, name: str, expected: dict[str, Status], **kw: Any) -> Row:
    return TradeRow("page", method, name, expected, (), **kw)


def buyers(status: Status) -> dict[str, Status]:
    """A page for any buyer organization; the others are the wrong kind."""
    return expect(404, anonymous=LOGIN, buyer_x=status, buyer_y=status)


def order_side(**cells: Status) -> dict[str, Status]:
    """An action on buyer_x's order at supplier_a: only the named parties may take it."""
    return expect(404, anonymous=LOGIN, **cells)


def _actor(w: World, name: str) -> Any:
    actor = w.cast[name].actor
    assert actor is not None
    return actor


def checkout_data(w: World) -> dict[str, Any]:
    quote = orders.cart_quote(actor=_actor(w, "buyer_x"))
    return {
        "address": w.trade.address_x.pk,
        "payment_method": "sandbox",
        "quote_token": quote.token,
    }


def buy_now_review(w: World) -> dict[str, Any]:
    """What the product page's "Buy now" button posts: the review page, nothing placed."""
    sku = w.trade.sku_a
    return {"product_id": sku.product_id, "sku_id": sku.pk, "quantity": 2, "kind": "wholesale"}


def buy_now_place(w: World) -> dict[str, Any]:
    quote = orders.buy_now_quote(
        actor=_actor(w, "buyer_x"), sku_id=w.trade.sku_a.pk, quantity=2, kind="wholesale"
    )
    return {
        **buy_now_review(w),
        "address": w.trade.address_x.pk,
        "payment_method": "sandbox",
        "quote_token": quote.token,
    }


def ship_data(w: World) -> dict[str, Any]:
    data: dict[str, Any] = {"ship-carrier_code": "sf", "ship-tracking_number": "SF1000000000200"}
    for line in OrderLine.objects.filter(order=w.trade.order_paid):
        data[f"ship-line_{line.pk}"] = line.quantity
    return data


ADDRESS = {
    "recipient": "李雷",
    "phone": "+86 139 0000 0000",
    "country": "CN",
    "city": "义乌",
    "street": "福田路 1 号",
}
SCORES = {
    "review-quality": 5,
    "review-accuracy": 5,
    "review-shipping_speed": 4,
    "review-communication": 5,
    "review-text": "As described",
}
BUYER_X = frozenset({"buyer_x"})
SUPPLIER_A = frozenset({"supplier_a"})

# fmt: off
TRADE_PAGE_ROWS: list[Row] = [
    # --- header, cart, address book ---
    page("GET", "orders:nav", expect(200, anonymous=204), note="counts for the header"),
    page("GET", "orders:cart", buyers(200)),
    page("POST", "orders:cart_add", buyers(302),
         data=lambda w: {"product_id": w.product_a.pk, "sku": "BOWL-RED", "quantity": 5}),
    page("POST", "orders:cart_line", buyer_x_page(302), "cart_line_x",
         data=lambda w: {"quantity": 7}),
    page("POST", "orders:cart_remove", buyer_x_page(302), "cart_line_x"),
    page("GET", "orders:addresses", buyers(200)),
    page("POST", "orders:addresses", buyers(302), data=lambda w: ADDRESS),
    page("GET", "orders:address_edit", buyer_x_page(200), "address_x"),
    page("POST", "orders:address_edit", buyer_x_page(302), "address_x",
         data=lambda w: ADDRESS | {"label": "Shop"}),
    page("POST", "orders:address_delete", buyer_x_page(302), "address_x"),
    page("POST", "orders:address_default", buyer_x_page(302), "address_x"),
    # --- order lists and the order page ---
    page("GET", "orders:list", expect(404, anonymous=LOGIN, buyer_x=200, buyer_y=200,
                                      supplier_a=302, supplier_b=302),
         note="suppliers are sent to their inbox"),
    trade_page("GET", "orders:inbox", supplier_page(200), note="with orders in every status"),
    page("GET", "orders:detail", order_side(buyer_x=200, supplier_a=200, operator=200),
         "order_paid"),
    page("POST", "orders:reorder", buyer_x_page(302), "order_completed"),
    page("POST", "orders:cancel", order_side(buyer_x=302, supplier_a=302, operator=302),
         "order_paid", data=lambda w: {"cancel-reason": "Changed plans"}),
    page("POST", "orders:ship", order_side(supplier_a=302), "order_paid", data=ship_data),
    page("POST", "orders:receive", order_side(buyer_x=302), "order_shipped"),
    page("POST", "orders:refund", order_side(buyer_x=302), "order_shipped",
         data=lambda w: {"refund-amount": "5.00", "refund-reason": "Two bowls cracked"}),
    page("POST", "orders:withdraw", order_side(buyer_x=302), "order_refund"),
    page("POST", "orders:resolve", order_side(supplier_a=302, operator=302), "order_refund",
         data=lambda w: {"resolve-amount": "1.00"}),
    page("POST", "orders:decline", order_side(supplier_a=302, operator=302), "order_refund",
         data=lambda w: {"decline-reason": "The photos show no damage"}),
    page("POST", "orders:review", order_side(buyer_x=302), "order_completed",
         data=lambda w: SCORES),
    ReviewedOrderRow("page", "POST", "orders:reply", order_side(supplier_a=302),
                     data=lambda w: {"reply-reply": "Thank you!"}),
    # --- checkout and paying ---
    trade_page("GET", "payments:checkout", buyers(200) | {"buyer_y": 302},
               note="buyer_y's cart is empty: back to the cart"),
    trade_page("POST", "payments:checkout", buyers(302), data=checkout_data, writes=BUYER_X),
    trade_page("POST", "payments:buy_now", buyers(200), data=buy_now_review, writes=NONE,
               note="buy now: the review page"),
    trade_page("POST", "payments:buy_now", buyers(302) | {"buyer_y": 422}, data=buy_now_place,
               writes=BUYER_X, note="buy now: placing; buyer_y may not ship to buyer_x's address"),
    page("GET", "payments:sandbox_confirm", buyer_x_page(200), "payment_pending"),
    page("POST", "payments:sandbox_confirm", buyer_x_page(302), "payment_pending",
         data=lambda w: {"outcome": "succeed"}, note="webhooks go out on commit"),
    page("GET", "payments:bank_transfer", buyer_x_page(200), "payment_bank"),
    page("GET", "payments:order_pay", buyer_x_page(302), "order_pending",
         note="on to the provider's page"),
    page("POST", "payments:retry", buyer_x_page(302), "payment_pending", writes=NONE,
         note="only a failed payment is tried again"),
    # --- the supplier's balance ---
    trade_page("GET", "payments:balance", supplier_page(200), note="with ledger history"),
    page("POST", "payments:payout_account", supplier_page(302),
         data=lambda w: {"holder_name": "Co.", "bank_name": "ICBC", "account_number": "62220001"}),
    trade_page("POST", "payments:payout_request", supplier_page(302) | {"supplier_b": 422},
               data=lambda w: {"currency": "CNY"},
               writes=SUPPLIER_A, note="supplier_b has no bank account yet"),
    # --- the operator ---
    page("GET", "payments:bank_transfers", operator_page(200)),
    page("POST", "payments:bank_transfers", operator_page(302),
         data=lambda w: {"reference": w.ref("payment_bank"), "amount": "25.00",
                         "bank_reference": "ICBC-778"}),
    page("GET", "payments:payouts", operator_page(200)),
    page("POST", "payments:payout_paid", operator_page(302), "payout_a",
         data=lambda w: {"reference": "ICBC-OUT-1"}),
    trade_page("GET", "payments:ledger", operator_page(200), note="with transactions"),
    # --- notifications ---
    page("GET", "notifications:list", signed_in(200)),
    page("POST", "notifications:mark_read", signed_in(302)),
]
# fmt: on
