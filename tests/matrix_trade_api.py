"""Authorization matrix rows for the trade loop's JSON API (see tests/matrix.py).

The objects are buyer_x's orders at supplier_a (tests/matrix_trade_world.py). Besides the shared
helpers: ``buyer_api`` (either buyer; others are the wrong kind) and ``buyer_x_own`` (buyer_x's
object: buyer_y gets 404, suppliers and the operator 403). Where the right party asks for a move
the order's status forbids, the answer is 409 and ``writes`` says that nothing changed.
"""

from __future__ import annotations

from typing import Any

from huoyuan.orders import services as orders
from tests.matrix import (
    CAST,
    NONE,
    Row,
    Status,
    World,
    call,
    everyone,
    expect,
    member_api,
    operator_api,
    supplier_a_api,
    supplier_api,
)


def buyer_api(status: int) -> dict[str, Status]:
    return expect(403, anonymous=401, buyer_x=status, buyer_y=status)


def buyer_x_own(status: int) -> dict[str, Status]:
    return expect(403, anonymous=401, buyer_x=status, buyer_y=404)


def supplier_a_own(status: int) -> dict[str, Status]:
    return supplier_a_api(status)


def order_sides(status: int, **cells: Status) -> dict[str, Status]:
    """An order of buyer_x at supplier_a: both sides and the operator may act, others 404."""
    return expect(404, anonymous=401, **{"buyer_x": status, "supplier_a": status,
                                         "operator": status, **cells})  # fmt: skip


def checkout(w: World) -> dict[str, Any]:
    buyer = w.cast["buyer_x"].actor
    assert buyer is not None
    address = w.ref("address_x")  # builds the trade world (and buyer_x's cart) first
    return {
        "address_id": address,
        "payment_method": "sandbox",
        "quote_token": orders.cart_quote(actor=buyer).token,
    }


def buy_now(w: World) -> dict[str, Any]:
    buyer = w.cast["buyer_x"].actor
    assert buyer is not None
    address = w.ref("address_x")
    sku_id = w.ref("sku_a")
    quote = orders.buy_now_quote(actor=buyer, sku_id=sku_id, quantity=2, kind="wholesale")
    return {
        "sku_id": sku_id,
        "quantity": 2,
        "address_id": address,
        "payment_method": "sandbox",
        "quote_token": quote.token,
    }


def trade_built(w: World, **data: Any) -> dict[str, Any]:
    """For rows without a trade object in the URL: build the trade world before the request."""
    assert w.trade is not None
    return data


ADDRESS = {"recipient": "李雷", "phone": "13800000000", "city": "义乌", "street": "工人北路 1 号"}
ACCOUNT = {"holder_name": "Matrix Co.", "bank_name": "Bank of Ningbo", "account_number": "62221234"}
SCORES = {"quality": 5, "accuracy": 5, "shipping_speed": 4, "communication": 5}
EVERYONE = frozenset(CAST)

# fmt: off
TRADE_API_ROWS: list[Row] = [
    # --- cart, addresses, checkout (buyers) ---
    call("GET", "/api/cart", buyer_api(200)),
    call("POST", "/api/cart/lines", buyer_api(201),
         data=lambda w: {"sku_id": w.ref("sku_a"), "quantity": 2}),
    call("PUT", "/api/cart/lines/{line_id}", buyer_x_own(200), "cart_line_x",
         data=lambda w: {"quantity": 6}),
    call("DELETE", "/api/cart/lines/{line_id}", buyer_x_own(200), "cart_line_x"),
    call("GET", "/api/addresses", buyer_api(200)),
    call("POST", "/api/addresses", buyer_api(201), data=lambda w: ADDRESS),
    call("PUT", "/api/addresses/{address_id}", buyer_x_own(200), "address_x",
         data=lambda w: ADDRESS),
    call("DELETE", "/api/addresses/{address_id}", buyer_x_own(200), "address_x"),
    call("POST", "/api/checkout", expect(403, anonymous=401, buyer_x=201, buyer_y=422),
         data=checkout, writes=frozenset({"buyer_x"}),
         note="buyer_y may not ship to buyer_x's address"),
    call("GET", "/api/buy-now/quote", buyer_api(200),
         data=lambda w: {"sku_id": w.ref("sku_a"), "quantity": 2}),
    call("POST", "/api/buy-now", expect(403, anonymous=401, buyer_x=201, buyer_y=422),
         data=buy_now, writes=frozenset({"buyer_x"}),
         note="buyer_y may not ship to buyer_x's address"),
    # --- orders (either side, the operator where the transition table lets it) ---
    call("GET", "/api/orders", expect(200, anonymous=401, operator=403)),
    call("GET", "/api/orders/{order_id}", order_sides(200), "order_paid"),
    call("POST", "/api/orders/{order_id}/cancel", order_sides(200), "order_pending",
         data=lambda w: {"reason": "Ordered twice"}),
    call("POST", "/api/orders/{order_id}/receive", buyer_x_own(200), "order_shipped"),
    call("POST", "/api/orders/{order_id}/refund-request", buyer_x_own(200), "order_shipped",
         data=lambda w: {"amount": "1.00", "reason": "One bowl arrived broken"}),
    call("POST", "/api/orders/{order_id}/refund-resolve", order_sides(200, buyer_x=409),
         "order_refund", data=lambda w: {"amount": "1.00", "reason": "Agreed"},
         writes=frozenset({"supplier_a", "operator"}), note="the buyer may not resolve"),
    call("POST", "/api/orders/{order_id}/refund-decline", order_sides(200), "order_refund",
         data=lambda w: {"reason": "The photo shows no damage"}),
    call("POST", "/api/orders/{order_id}/ship", supplier_a_own(200), "order_paid",
         data=lambda w: {"carrier": "SF Express", "tracking_number": "SF200"}),
    call("POST", "/api/orders/{order_id}/review", buyer_x_own(201), "order_completed",
         data=lambda w: SCORES),
    call("POST", "/api/orders/{order_id}/reorder", buyer_x_own(200), "order_completed"),
    call("POST", "/api/reviews/{review_id}/reply", supplier_a_own(200), "review_a",
         data=lambda w: {"text": "Thank you!"}),
    call("GET", "/api/suppliers/{slug}/reviews", everyone(200), "supplier-a"),
    # --- payments ---
    call("GET", "/api/payments/{reference}", buyer_x_own(200), "payment_pending"),
    call("POST", "/api/payments/{reference}/retry", buyer_x_own(409), "payment_pending",
         writes=NONE, note="only a failed payment is retried"),
    call("POST", "/api/payments/webhooks/{provider}", everyone(400), "sandbox",
         data=lambda w: {"id": "evt_1", "type": "payment.succeeded"}, writes=EVERYONE,
         note="unsigned: refused, and the refusal is recorded"),
    call("POST", "/api/payments/webhooks/{provider}", everyone(404), "paypal",
         data=lambda w: {"id": "evt_1"}, note="unknown provider"),
    # --- supplier money ---
    call("GET", "/api/supplier/balance", supplier_api(200)),
    call("GET", "/api/supplier/ledger", supplier_api(200)),
    call("GET", "/api/supplier/payout-account", supplier_a_api(200), data=trade_built,
         note="supplier_b has none yet"),
    call("PUT", "/api/supplier/payout-account", supplier_api(200), data=lambda w: ACCOUNT),
    call("GET", "/api/supplier/payouts", supplier_api(200)),
    call("POST", "/api/supplier/payouts", expect(403, anonymous=401, supplier_a=201,
                                                  supplier_b=422),
         data=lambda w: trade_built(w, currency="CNY"), writes=frozenset({"supplier_a"}),
         note="supplier_b has no payout account"),
    # --- operator ---
    call("GET", "/api/operator/bank-transfers", operator_api(200)),
    call("POST", "/api/operator/bank-transfers/match", operator_api(200),
         data=lambda w: {"reference": w.ref("payment_bank"), "amount": "25.00",
                         "bank_reference": "BANK-1"}),
    call("GET", "/api/operator/payouts", operator_api(200)),
    call("POST", "/api/operator/payouts/{payout_id}/paid", operator_api(200), "payout_a",
         data=lambda w: {"reference": "WIRE-1"}),
    call("GET", "/api/operator/ledger", operator_api(200)),
    # --- notifications (any member, their own organization's) ---
    call("GET", "/api/notifications", member_api(200)),
    call("POST", "/api/notifications/read", member_api(200), data=lambda w: {}),
]
# fmt: on
