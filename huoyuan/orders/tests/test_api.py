"""The trade JSON API for carts, addresses, orders and reviews: each endpoint's answer and refusals.

Every refusal also checks that nothing changed.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.test import TestCase

from huoyuan.catalogue.models import Category, Product, Sku
from huoyuan.catalogue.tests.factories import make_product, sku
from huoyuan.ledger.selectors import ledger_check
from huoyuan.orders import services
from huoyuan.orders.models import Address, CartLine, Order, OrderEvent, Review, Shipment
from huoyuan.orders.tests.factories import address_for, capture, place, sku_of

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db

CART = "/api/cart"
LINES = "/api/cart/lines"
ADDRESSES = "/api/addresses"
ORDERS = "/api/orders"


def when(value: datetime | None) -> str | None:
    """A datetime as the API writes it."""
    return DjangoJSONEncoder().default(value) if value is not None else None


def bowl(person: Person, category: Category, **extra: Any) -> Product:
    assert person.actor
    skus = extra.pop("skus", None) or [sku("BOWL", stock=50)]
    return make_product(person.actor, category, skus=skus, **extra)


def sku_state(item: Sku) -> tuple[int, int, int]:
    item.refresh_from_db()
    return item.stock, item.reserved, item.sold


def order_state(order: Order) -> dict[str, Any]:
    order.refresh_from_db()
    return {
        "status": order.status,
        "paid": order.paid_minor,
        "refunded": order.refunded_minor,
        "released": order.released_minor,
        "requested": order.refund_requested_minor,
        "events": OrderEvent.objects.filter(order=order).count(),
        "shipments": Shipment.objects.filter(order=order).count(),
    }


def paid_order(buyer: Person, product: Product, quantity: int = 10) -> Order:
    assert buyer.actor
    submitted = place(buyer.actor, [(sku_of(product), quantity)])
    capture(submitted.payment)
    return Order.objects.get(pk=submitted.order_ids[0])


def pending_order(buyer: Person, product: Product, quantity: int = 10) -> Order:
    assert buyer.actor
    submitted = place(buyer.actor, [(sku_of(product), quantity)])
    return Order.objects.get(pk=submitted.order_ids[0])


def shipped_order(buyer: Person, supplier: Person, product: Product, quantity: int = 10) -> Order:
    order = paid_order(buyer, product, quantity)
    assert supplier.actor
    services.order_ship(
        actor=supplier.actor, order_id=order.pk, carrier="SF Express", tracking_number="SF1"
    )
    return order


def completed_order(buyer: Person, supplier: Person, product: Product) -> Order:
    order = shipped_order(buyer, supplier, product)
    assert buyer.actor
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.order_confirm_receipt(actor=buyer.actor, order_id=order.pk)
    return order


# --- cart ------------------------------------------------------------------------------------


def test_adding_a_line_answers_the_live_quote_with_break_and_next_break(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    product = bowl(supplier_a, category)
    item = sku_of(product)

    response = buyer_x.api("POST", LINES, {"sku_id": item.pk, "quantity": 10})

    assert response.status_code == 201
    line = CartLine.objects.get()
    body = response.json()
    assert body == {
        "token": body["token"],
        "ok": True,
        "currency": "CNY",
        "total_minor": 12500,
        "problems": [],
        "groups": [
            {
                "supplier_id": supplier_a.organization.pk,  # type: ignore[union-attr]
                "supplier_name": "supplier_a Co.",
                "supplier_slug": "supplier-a",
                "currency": "CNY",
                "subtotal_minor": 12500,
                "ok": True,
                "problems": [],
                "mixed_batch": None,
                "lines": [
                    {
                        "line_id": line.pk,
                        "sku_id": item.pk,
                        "product_id": product.pk,
                        "product_title": "Wine-red ceramic bowl",
                        "sku_code": "BOWL",
                        "sku_label": "Black",
                        "kind": "wholesale",
                        "quantity": 10,
                        "currency": "CNY",
                        "unit_price_minor": 1250,
                        "total_minor": 12500,
                        "moq": 2,
                        "stock": 50,
                        "applied_min_quantity": 2,
                        "next_break_min_quantity": 100,
                        "next_break_unit_price_minor": 1100,
                        "units_to_next_break": 90,
                        "problems": [],
                    }
                ],
            }
        ],
    }
    assert len(body["token"]) == 32
    assert buyer_x.api("GET", CART).json() == body


def test_adding_the_same_sku_again_adds_to_the_line(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    item = sku_of(bowl(supplier_a, category))
    buyer_x.api("POST", LINES, {"sku_id": item.pk, "quantity": 10})
    response = buyer_x.api("POST", LINES, {"sku_id": item.pk, "quantity": 5})
    assert response.status_code == 201
    assert [line.quantity for line in CartLine.objects.all()] == [15]
    assert response.json()["total_minor"] == 15 * 1250


def test_quote_names_the_moq_and_stock_problems(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    low = sku_of(bowl(supplier_a, category, skus=[sku("LOW", stock=3)]))
    buyer_x.api("POST", LINES, {"sku_id": low.pk, "quantity": 1})
    body = buyer_x.api("GET", CART).json()
    assert (body["ok"], body["groups"][0]["ok"]) == (False, False)
    assert body["groups"][0]["lines"][0]["problems"] == ["The minimum order is 2 units (MOQ)."]

    line = CartLine.objects.get()
    body = buyer_x.api("PUT", f"{LINES}/{line.pk}", {"quantity": 5}).json()
    assert body["groups"][0]["lines"][0]["problems"] == ["Only 3 in stock."]


def test_store_wide_mixed_batch_state_is_shown_per_supplier_group(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    response = supplier_a.api("PUT", "/api/supplier/profile", {"mixed_batch_moq": 30})
    assert response.status_code == 200
    assert response.json()["mixed_batch_moq"] == 30
    product = bowl(
        supplier_a, category, skus=[sku("RED", moq=10), sku("BLUE", moq=10, attributes={})]
    )
    red, blue = sku_of(product, "RED"), sku_of(product, "BLUE")
    buyer_x.api("POST", LINES, {"sku_id": red.pk, "quantity": 5})
    body = buyer_x.api("POST", LINES, {"sku_id": blue.pk, "quantity": 6}).json()
    group = body["groups"][0]
    assert group["mixed_batch"] == {"moq": 30, "units": 11, "units_to_go": 19, "met": False}
    assert group["problems"] == [
        "Mixed batch: this supplier ships orders of at least 30 units in all (now 11); "
        "any of its items count."
    ]
    # Below the SKU MOQs, yet fine: the store-wide mixed batch waives them.
    assert [line["problems"] for line in group["lines"]] == [[], []]

    body = buyer_x.api("POST", LINES, {"sku_id": red.pk, "quantity": 19}).json()
    assert body["groups"][0]["mixed_batch"] == {
        "moq": 30,
        "units": 30,
        "units_to_go": 0,
        "met": True,
    }
    assert body["ok"] is True


def test_a_sample_line_costs_the_sample_price_up_to_the_sample_limit(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    product = bowl(
        supplier_a, category, skus=[sku("BOWL", sample_price_minor=2000, sample_limit=3)]
    )
    item = sku_of(product)
    body = buyer_x.api("POST", LINES, {"sku_id": item.pk, "quantity": 3, "kind": "sample"}).json()
    line = body["groups"][0]["lines"][0]
    assert (line["kind"], line["unit_price_minor"], line["total_minor"]) == ("sample", 2000, 6000)
    assert line["problems"] == []

    body = buyer_x.api("POST", LINES, {"sku_id": item.pk, "quantity": 1, "kind": "sample"}).json()
    assert body["groups"][0]["lines"][0]["problems"] == ["At most 3 samples per order."]


def test_setting_quantity_zero_removes_the_line_and_delete_removes_it_too(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    product = bowl(supplier_a, category, skus=[sku("A"), sku("B", attributes={})])
    buyer_x.api("POST", LINES, {"sku_id": sku_of(product, "A").pk, "quantity": 4})
    buyer_x.api("POST", LINES, {"sku_id": sku_of(product, "B").pk, "quantity": 4})
    first, second = CartLine.objects.order_by("pk")

    response = buyer_x.api("PUT", f"{LINES}/{first.pk}", {"quantity": 0})
    assert response.status_code == 200
    assert [line["line_id"] for line in response.json()["groups"][0]["lines"]] == [second.pk]

    response = buyer_x.api("DELETE", f"{LINES}/{second.pk}")
    assert response.status_code == 200
    assert response.json()["groups"] == []
    assert response.json()["currency"] is None
    assert not CartLine.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"quantity": 0}, "quantity", "Enter a quantity from 1 to 1000000."),
        ({"quantity": 5, "kind": "dropship"}, "kind", "Unknown order kind."),
        ({"quantity": 5, "kind": "sample"}, "kind", "This item is not offered as a sample."),
        ({"quantity": "lots"}, "quantity", None),
    ],
)
def test_bad_cart_lines_are_refused_and_the_cart_stays_empty(
    buyer_x: Person,
    supplier_a: Person,
    category: Category,
    body: dict[str, Any],
    field: str,
    message: str | None,
) -> None:
    item = sku_of(bowl(supplier_a, category))
    response = buyer_x.api("POST", LINES, {"sku_id": item.pk, **body})
    assert response.status_code == 422
    assert response.json()["field"] == field
    if message:
        assert response.json()["message"] == message
    assert not CartLine.objects.exists()


def test_a_draft_sku_is_not_found(buyer_x: Person, supplier_a: Person, category: Category) -> None:
    item = sku_of(bowl(supplier_a, category, publish=False))
    response = buyer_x.api("POST", LINES, {"sku_id": item.pk, "quantity": 5})
    assert response.status_code == 404
    assert not CartLine.objects.exists()


def test_another_buyers_cart_line_is_not_found_and_unchanged(
    buyer_x: Person, buyer_y: Person, supplier_a: Person, category: Category
) -> None:
    item = sku_of(bowl(supplier_a, category))
    buyer_x.api("POST", LINES, {"sku_id": item.pk, "quantity": 5})
    line = CartLine.objects.get()
    for method, data in (("PUT", {"quantity": 9}), ("DELETE", None)):
        response = buyer_y.api(method, f"{LINES}/{line.pk}", data)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert [(x.pk, x.quantity) for x in CartLine.objects.all()] == [(line.pk, 5)]


def test_suppliers_have_no_cart(supplier_a: Person, category: Category) -> None:
    item = sku_of(bowl(supplier_a, category))
    for method, path, data in (
        ("GET", CART, None),
        ("POST", LINES, {"sku_id": item.pk, "quantity": 5}),
    ):
        response = supplier_a.api(method, path, data)
        assert response.status_code == 403
        assert response.json()["code"] == "wrong_organization_kind"
    assert not CartLine.objects.exists()


# --- addresses -------------------------------------------------------------------------------

ADDRESS = {
    "recipient": "王小明",
    "phone": "+86 138 0000 0000",
    "city": "杭州",
    "province": "浙江",
    "street": "文三路 100 号",
}


def test_buyer_keeps_an_address_book_and_the_first_address_is_the_default(
    buyer_x: Person,
) -> None:
    response = buyer_x.api("POST", ADDRESSES, ADDRESS)
    assert response.status_code == 201
    first = Address.objects.get()
    assert response.json() == {
        "id": first.pk,
        "label": "",
        "recipient": "王小明",
        "phone": "+86 138 0000 0000",
        "country": "CN",
        "province": "浙江",
        "city": "杭州",
        "district": "",
        "street": "文三路 100 号",
        "postal_code": "",
        "is_default": True,
    }
    second = buyer_x.api(
        "POST", ADDRESSES, {**ADDRESS, "city": "宁波", "label": "Warehouse", "is_default": True}
    ).json()

    listed = buyer_x.api("GET", ADDRESSES).json()
    assert listed["count"] == 2
    assert [(a["id"], a["is_default"]) for a in listed["items"]] == [
        (second["id"], True),
        (first.pk, False),
    ]

    response = buyer_x.api("PUT", f"{ADDRESSES}/{first.pk}", {**ADDRESS, "street": "新路 1 号"})
    assert response.status_code == 200
    assert response.json()["street"] == "新路 1 号"

    response = buyer_x.api("DELETE", f"{ADDRESSES}/{second['id']}")
    assert response.json() == {"ok": True}
    assert list(Address.objects.values_list("pk", "is_default")) == [(first.pk, True)]


def test_a_bad_phone_number_is_refused_with_its_field(buyer_x: Person) -> None:
    response = buyer_x.api("POST", ADDRESSES, {**ADDRESS, "phone": "call me"})
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": "Enter a phone number (digits, spaces, + - ( )).",
        "field": "phone",
    }
    assert not Address.objects.exists()


def test_another_buyers_address_is_not_found_and_unchanged(
    buyer_x: Person, buyer_y: Person
) -> None:
    assert buyer_x.actor
    address = address_for(buyer_x.actor)
    before = address.snapshot()
    for method, data in (("PUT", {**ADDRESS, "city": "上海"}), ("DELETE", None)):
        response = buyer_y.api(method, f"{ADDRESSES}/{address.pk}", data)
        assert response.status_code == 404
    address.refresh_from_db()
    assert address.snapshot() == before
    assert buyer_y.api("GET", ADDRESSES).json() == {"items": [], "count": 0}


# --- orders: lists and detail ----------------------------------------------------------------


def test_each_side_lists_its_own_orders_by_inbox_tab(
    buyer_x: Person,
    buyer_y: Person,
    supplier_a: Person,
    supplier_b: Person,
    category: Category,
) -> None:
    product = bowl(supplier_a, category)
    paid = paid_order(buyer_x, product)
    pending = pending_order(buyer_x, product)

    body = buyer_x.api("GET", ORDERS).json()
    assert body["count"] == 2
    assert [o["id"] for o in body["items"]] == [pending.pk, paid.pk]
    card = body["items"][1]
    assert {k: v for k, v in card.items() if k != "lines"} == {
        "id": paid.pk,
        "number": paid.number,
        "kind": "wholesale",
        "status": "paid",
        "status_label": "Paid, to ship",
        "currency": "CNY",
        "subtotal_minor": 12500,
        "shipping_minor": 0,
        "total_minor": 12500,
        "buyer": {"id": buyer_x.organization.pk, "slug": "buyer-x", "name": "buyer_x Co."},  # type: ignore[union-attr]
        "supplier": {
            "id": supplier_a.organization.pk,  # type: ignore[union-attr]
            "slug": "supplier-a",
            "name": "supplier_a Co.",
        },
        "created_at": when(paid.created_at),
        "expires_at": when(paid.expires_at),
    }
    assert [(line["sku_code"], line["quantity"]) for line in card["lines"]] == [("BOWL", 10)]

    to_ship = supplier_a.api("GET", ORDERS, {"status": "to_ship"}).json()
    assert [o["id"] for o in to_ship["items"]] == [paid.pk]
    unpaid = buyer_x.api("GET", ORDERS, {"status": "unpaid"}).json()
    assert [o["id"] for o in unpaid["items"]] == [pending.pk]
    assert buyer_y.api("GET", ORDERS).json() == {"items": [], "count": 0}
    assert supplier_b.api("GET", ORDERS).json() == {"items": [], "count": 0}


def test_an_unknown_inbox_tab_is_refused(buyer_x: Person) -> None:
    response = buyer_x.api("GET", ORDERS, {"status": "lost"})
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": "Choose one of: all, unpaid, to_ship, shipped, refunds, closed.",
        "field": "status",
    }


def test_the_operator_has_no_order_inbox(operator: Person) -> None:
    response = operator.api("GET", ORDERS)
    assert response.status_code == 403
    assert response.json()["code"] == "wrong_organization_kind"


def test_order_detail_shows_lines_timeline_shipments_and_review(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    order = completed_order(buyer_x, supplier_a, bowl(supplier_a, category))
    assert buyer_x.actor
    review = services.review_create(
        actor=buyer_x.actor,
        order_id=order.pk,
        scores={"quality": 5, "accuracy": 4, "shipping_speed": 3, "communication": 4},
        text="Solid bowls",
    )
    order.refresh_from_db()
    shipment = Shipment.objects.get(order=order)
    line = order.lines.get()

    body = supplier_a.api("GET", f"{ORDERS}/{order.pk}").json()

    assert [
        (e["from_status"], e["to_status"], e["party"], e["actor"], e["reason"])
        for e in body["events"]
    ] == [
        ("", "pending_payment", "buyer", "buyer_x", ""),
        ("pending_payment", "paid", "system", None, body["events"][1]["reason"]),
        ("paid", "shipped", "supplier", "supplier_a", "SF Express SF1"),
        ("shipped", "received", "buyer", "buyer_x", ""),
        ("received", "completed", "system", None, ""),
    ]
    assert body["events"][1]["reason"].startswith("PAY")
    assert body["shipments"] == [
        {
            "id": shipment.pk,
            "carrier_code": "",  # named as free text: no tracking link
            "carrier": "SF Express",
            "carrier_name": "SF Express",
            "tracking_number": "SF1",
            "tracking_url": None,
            "created_at": when(shipment.created_at),
            "lines": [{"line_id": line.pk, "sku_code": "BOWL", "quantity": 10}],
        }
    ]
    assert body["review"] == {
        "id": review.pk,
        "quality": 5,
        "accuracy": 4,
        "shipping_speed": 3,
        "communication": 4,
        "average": 4.0,
        "text": "Solid bowls",
        "reply": "",
        "replied_at": None,
        "created_at": when(review.created_at),
    }
    assert body["lines"][0]["shipped_quantity"] == 10
    assert (body["status"], body["paid_minor"], body["released_minor"], body["escrow_minor"]) == (
        "completed",
        12500,
        12500,
        0,
    )
    assert body["address"]["city"] == "杭州"
    assert buyer_x.api("GET", f"{ORDERS}/{order.pk}").json() == body


def test_another_tenants_order_is_not_found(
    buyer_x: Person, buyer_y: Person, supplier_a: Person, supplier_b: Person, category: Category
) -> None:
    order = paid_order(buyer_x, bowl(supplier_a, category))
    for person in (buyer_y, supplier_b):
        response = person.api("GET", f"{ORDERS}/{order.pk}")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "Not found.", "field": None}


# --- orders: actions -------------------------------------------------------------------------


def test_buyer_cancels_an_unpaid_order_and_its_stock_comes_back(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    product = bowl(supplier_a, category)
    order = pending_order(buyer_x, product)
    assert sku_state(sku_of(product)) == (40, 10, 0)

    response = buyer_x.api("POST", f"{ORDERS}/{order.pk}/cancel", {"reason": "Ordered twice"})

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["events"][-1]["reason"] == "Ordered twice"
    assert sku_state(sku_of(product)) == (50, 0, 0)


def test_cancelling_a_shipped_order_is_an_illegal_transition_and_changes_nothing(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    product = bowl(supplier_a, category)
    order = shipped_order(buyer_x, supplier_a, product)
    before, stock = order_state(order), sku_state(sku_of(product))

    response = buyer_x.api("POST", f"{ORDERS}/{order.pk}/cancel", {"reason": "Changed my mind"})

    assert response.status_code == 409
    assert response.json() == {
        "code": "illegal_transition",
        "message": "An order that is Shipped cannot become Cancelled (asked by the buyer).",
        "field": None,
    }
    assert order_state(order) == before
    assert sku_state(sku_of(product)) == stock


def test_buyer_confirms_receipt_and_the_money_is_released(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    order = shipped_order(buyer_x, supplier_a, bowl(supplier_a, category))
    response = buyer_x.api("POST", f"{ORDERS}/{order.pk}/receive")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["released_minor"], body["escrow_minor"]) == (
        "completed",
        12500,
        0,
    )
    assert ledger_check() == []


def test_receiving_an_unshipped_order_is_refused(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    order = paid_order(buyer_x, bowl(supplier_a, category))
    before = order_state(order)
    response = buyer_x.api("POST", f"{ORDERS}/{order.pk}/receive")
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    supplier_says = supplier_a.api("POST", f"{ORDERS}/{order.pk}/receive")
    assert supplier_says.status_code == 403
    assert order_state(order) == before


def test_buyer_requests_a_partial_refund_in_the_order_currency(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    order = shipped_order(buyer_x, supplier_a, bowl(supplier_a, category))
    response = buyer_x.api(
        "POST",
        f"{ORDERS}/{order.pk}/refund-request",
        {"amount": "12.50", "reason": "One bowl broke"},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["refund_requested_minor"]) == ("refund_requested", 1250)
    assert body["events"][-1]["reason"] == "One bowl broke"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "Enter an amount such as 12.50."),
        ("1.234", "Use at most 2 decimal places."),
        ("-1", "An amount cannot be negative."),
        ("0", "Ask for an amount between 0.01 and what you paid."),
        ("125.01", "Ask for an amount between 0.01 and what you paid."),
    ],
)
def test_a_bad_refund_amount_is_refused_and_changes_nothing(
    buyer_x: Person, supplier_a: Person, category: Category, amount: str, message: str
) -> None:
    order = shipped_order(buyer_x, supplier_a, bowl(supplier_a, category))
    before = order_state(order)
    response = buyer_x.api(
        "POST", f"{ORDERS}/{order.pk}/refund-request", {"amount": amount, "reason": "Broken"}
    )
    assert response.status_code == 422
    assert response.json() == {"code": "invalid", "message": message, "field": "amount"}
    assert order_state(order) == before


def test_supplier_resolves_a_partial_refund_and_the_rest_is_released(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    order = shipped_order(buyer_x, supplier_a, bowl(supplier_a, category))
    assert buyer_x.actor
    services.order_request_refund(
        actor=buyer_x.actor, order_id=order.pk, amount_minor=1250, reason="Broken"
    )

    response = supplier_a.api(
        "POST", f"{ORDERS}/{order.pk}/refund-resolve", {"amount": "12.50", "reason": "Sorry"}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["refunded_minor"], body["released_minor"]) == (
        "partly_refunded",
        1250,
        11250,
    )
    assert ledger_check() == []


def test_a_buyer_cannot_resolve_their_own_refund(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    order = shipped_order(buyer_x, supplier_a, bowl(supplier_a, category))
    assert buyer_x.actor
    services.order_request_refund(
        actor=buyer_x.actor, order_id=order.pk, amount_minor=1250, reason="Broken"
    )
    before = order_state(order)
    response = buyer_x.api(
        "POST", f"{ORDERS}/{order.pk}/refund-resolve", {"amount": "125.00", "reason": ""}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert order_state(order) == before


def test_supplier_declines_a_refund_with_a_reason_only(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    order = shipped_order(buyer_x, supplier_a, bowl(supplier_a, category))
    assert buyer_x.actor
    services.order_request_refund(
        actor=buyer_x.actor, order_id=order.pk, amount_minor=1250, reason="Broken"
    )
    before = order_state(order)
    response = supplier_a.api("POST", f"{ORDERS}/{order.pk}/refund-decline", {"reason": ""})
    assert response.status_code == 422
    assert response.json()["field"] == "reason"
    assert order_state(order) == before

    response = supplier_a.api(
        "POST", f"{ORDERS}/{order.pk}/refund-decline", {"reason": "The photo shows no damage"}
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["refund_requested_minor"]) == ("shipped", 0)


def test_supplier_ships_part_then_the_rest(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    product = bowl(supplier_a, category)
    order = paid_order(buyer_x, product)
    line = order.lines.get()

    response = supplier_a.api(
        "POST",
        f"{ORDERS}/{order.pk}/ship",
        {
            "carrier": "SF Express",
            "tracking_number": "SF1",
            "lines": [{"line_id": line.pk, "quantity": 3}],
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["lines"][0]["shipped_quantity"]) == ("paid", 3)
    assert body["events"][-1]["reason"] == "Partial shipment: SF Express SF1"
    assert sku_state(sku_of(product)) == (40, 7, 3)

    response = supplier_a.api(
        "POST", f"{ORDERS}/{order.pk}/ship", {"carrier": "ZTO", "tracking_number": "ZT2"}
    )
    body = response.json()
    assert (body["status"], body["lines"][0]["shipped_quantity"]) == ("shipped", 10)
    assert [(s["tracking_number"], s["lines"][0]["quantity"]) for s in body["shipments"]] == [
        ("SF1", 3),
        ("ZT2", 7),
    ]
    assert sku_state(sku_of(product)) == (40, 0, 10)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"carrier": "", "tracking_number": "SF1"}, 422, "carrier"),
        ({"carrier": "SF", "tracking_number": "SF1", "lines": []}, 422, "lines"),
        ({"carrier": "SF", "tracking_number": "SF1", "lines": [{"line_id": 0, "quantity": 1}]},
         422, "lines"),
        ({"carrier": "SF", "tracking_number": "SF1", "status": "shipped"}, 422, "status"),
    ],
)  # fmt: skip
def test_a_bad_shipment_is_refused_and_nothing_ships(
    buyer_x: Person,
    supplier_a: Person,
    category: Category,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    product = bowl(supplier_a, category)
    order = paid_order(buyer_x, product)
    before, stock = order_state(order), sku_state(sku_of(product))
    response = supplier_a.api("POST", f"{ORDERS}/{order.pk}/ship", body)
    assert response.status_code == status
    assert response.json()["field"] == field
    assert order_state(order) == before
    assert sku_state(sku_of(product)) == stock


def test_shipping_is_for_the_orders_supplier_only(
    buyer_x: Person, supplier_a: Person, supplier_b: Person, category: Category
) -> None:
    order = paid_order(buyer_x, bowl(supplier_a, category))
    before = order_state(order)
    data = {"carrier": "SF Express", "tracking_number": "SF1"}
    assert buyer_x.api("POST", f"{ORDERS}/{order.pk}/ship", data).status_code == 403
    assert supplier_b.api("POST", f"{ORDERS}/{order.pk}/ship", data).status_code == 404
    assert order_state(order) == before


def test_an_unpaid_order_cannot_ship(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    order = pending_order(buyer_x, bowl(supplier_a, category))
    before = order_state(order)
    response = supplier_a.api(
        "POST", f"{ORDERS}/{order.pk}/ship", {"carrier": "SF Express", "tracking_number": "SF1"}
    )
    assert response.status_code == 409
    assert response.json() == {
        "code": "illegal_transition",
        "message": "Only paid orders can ship; this one is Awaiting payment.",
        "field": None,
    }
    assert order_state(order) == before


# --- reviews and reorder ---------------------------------------------------------------------

SCORES = {"quality": 5, "accuracy": 4, "shipping_speed": 5, "communication": 4}


def test_buyer_reviews_a_completed_order_once_and_the_supplier_replies_once(
    buyer_x: Person, supplier_a: Person, supplier_b: Person, category: Category
) -> None:
    order = completed_order(buyer_x, supplier_a, bowl(supplier_a, category))

    response = buyer_x.api("POST", f"{ORDERS}/{order.pk}/review", {**SCORES, "text": "Good"})

    assert response.status_code == 201
    review = Review.objects.get()
    assert response.json() == {
        "id": review.pk,
        **SCORES,
        "average": 4.5,
        "text": "Good",
        "reply": "",
        "replied_at": None,
        "created_at": when(review.created_at),
    }
    again = buyer_x.api("POST", f"{ORDERS}/{order.pk}/review", {**SCORES, "text": "Again"})
    assert again.status_code == 409
    assert again.json()["message"] == "You already reviewed this order."

    other = supplier_b.api("POST", f"/api/reviews/{review.pk}/reply", {"text": "Not mine"})
    assert other.status_code == 404
    response = supplier_a.api("POST", f"/api/reviews/{review.pk}/reply", {"text": "Thank you!"})
    assert response.status_code == 200
    assert response.json()["reply"] == "Thank you!"
    again = supplier_a.api("POST", f"/api/reviews/{review.pk}/reply", {"text": "Twice"})
    assert again.status_code == 409
    review.refresh_from_db()
    assert (review.text, review.reply) == ("Good", "Thank you!")


def test_an_order_is_reviewed_only_once_it_is_complete(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    order = shipped_order(buyer_x, supplier_a, bowl(supplier_a, category))
    response = buyer_x.api("POST", f"{ORDERS}/{order.pk}/review", SCORES)
    assert response.status_code == 409
    assert response.json()["message"] == "You can review an order once it is complete."
    assert not Review.objects.exists()


def test_a_score_outside_one_to_five_is_refused(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    order = completed_order(buyer_x, supplier_a, bowl(supplier_a, category))
    response = buyer_x.api("POST", f"{ORDERS}/{order.pk}/review", {**SCORES, "quality": 6})
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": "Rate from 1 to 5 stars.",
        "field": "quality",
    }
    assert not Review.objects.exists()


def test_public_reviews_name_the_buyer_organization_only(
    anonymous: Person, buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    order = completed_order(buyer_x, supplier_a, bowl(supplier_a, category))
    assert buyer_x.actor
    review = services.review_create(
        actor=buyer_x.actor, order_id=order.pk, scores=SCORES, text="Good"
    )

    body = anonymous.api("GET", "/api/suppliers/supplier-a/reviews").json()

    assert body == {
        "items": [
            {
                "id": review.pk,
                "buyer": "buyer_x Co.",
                **SCORES,
                "average": 4.5,
                "text": "Good",
                "reply": "",
                "replied_at": None,
                "created_at": when(review.created_at),
            }
        ],
        "count": 1,
    }
    assert anonymous.api("GET", "/api/suppliers/buyer-x/reviews").status_code == 404


def test_reorder_puts_the_items_back_in_the_cart(
    buyer_x: Person, buyer_y: Person, supplier_a: Person, category: Category
) -> None:
    order = completed_order(buyer_x, supplier_a, bowl(supplier_a, category))
    assert buyer_y.api("POST", f"{ORDERS}/{order.pk}/reorder").status_code == 404
    assert not CartLine.objects.exists()

    response = buyer_x.api("POST", f"{ORDERS}/{order.pk}/reorder")

    assert response.status_code == 200
    assert response.json() == {"added": 1, "missing": []}
    assert [(line.sku.code, line.quantity) for line in CartLine.objects.all()] == [("BOWL", 10)]
