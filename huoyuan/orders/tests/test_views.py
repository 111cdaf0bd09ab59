"""Trade pages of the orders app: buying from the product page, the cart (with htmx), the address
book, the order lists and the order page with every action of each side."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.test import TestCase
from django.utils import timezone

from huoyuan.catalogue.models import Category, Product, Sku
from huoyuan.catalogue.tests.factories import make_product, sku
from huoyuan.notifications.models import Notification
from huoyuan.orders import services
from huoyuan.orders.contracts import OrderStatus
from huoyuan.orders.models import Address, CartLine, Order, OrderEvent, OrderLine, Review, Shipment
from huoyuan.orders.tests.factories import address_for, capture, orders_of, place, sku_of
from huoyuan.suppliers.models import SupplierProfile

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _TestIds(HTMLParser):
    """The text of every element with a data-testid (nested ones included), in page order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, list[str]] = {}
        self.stack: list[str] = []  # the open elements' tags
        self.capturing: dict[int, tuple[str, int, list[str]]] = {}  # depth -> (id, slot, text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        testid = dict(attrs).get("data-testid")
        if testid:
            self.found.setdefault(testid, []).append("")
        if tag in VOID:
            return
        self.stack.append(tag)
        if testid:
            self.capturing[len(self.stack)] = (testid, len(self.found[testid]) - 1, [])

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or tag not in self.stack:
            return
        while self.stack:  # close up to the matching tag (tolerating unclosed ones)
            depth = len(self.stack)
            closed = self.stack.pop()
            if depth in self.capturing:
                testid, slot, parts = self.capturing.pop(depth)
                self.found[testid][slot] = " ".join(" ".join(parts).split())
            if closed == tag:
                break

    def handle_data(self, data: str) -> None:
        for _testid, _slot, parts in self.capturing.values():
            parts.append(data)


def texts(response: HttpResponse) -> dict[str, list[str]]:
    """data-testid -> the texts of the elements carrying it (whitespace collapsed)."""
    parser = _TestIds()
    parser.feed(response.content.decode())
    return parser.found


def text(response: HttpResponse, testid: str) -> str:
    found = texts(response).get(testid)
    assert found, f"no element with data-testid={testid!r}"
    return found[0]


def flash(response: HttpResponse) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def page_errors(response: HttpResponse) -> list[str]:
    """Every message shown as an alert (field errors and the errors above a form)."""
    found = re.findall(r'role="alert"[^>]*>\s*(?:<p>)?([^<]+)<', response.content.decode())
    return [unescape(e).strip() for e in found]


def actor(person: Person) -> Any:
    assert person.actor is not None
    return person.actor


def org_id(person: Person) -> int:
    assert person.organization is not None
    return person.organization.pk


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def bowl(supplier_a: Person, category: Category) -> Product:
    """A ladder of 10 / 100 / 500 units, samples at 5.00 (three per order)."""
    return make_product(
        actor(supplier_a),
        category,
        title_en="Bowl",
        skus=[
            sku(
                "BOWL",
                ladder=[(10, 1250), (100, 1100), (500, 980)],
                stock=1000,
                attributes={"colour": "Red"},
                sample_price_minor=500,
                sample_limit=3,
            ),
            sku("BOWL-B", ladder=[(1, 1300)], stock=50, attributes={"colour": "Blue"}),
        ],
    )


@pytest.fixture
def cup(supplier_b: Person, category: Category) -> Product:
    cups = [sku("CUP", ladder=[(50, 300)], stock=1000)]
    return make_product(actor(supplier_b), category, title_en="Cup", skus=cups)


def snapshot() -> dict[str, list[Any]]:
    return {
        "cart": list(
            CartLine.objects.order_by("pk").values_list("pk", "sku_id", "kind", "quantity")
        ),
        "addresses": list(Address.objects.order_by("pk").values()),
        "orders": list(Order.objects.order_by("pk").values()),
        "lines": list(OrderLine.objects.order_by("pk").values()),
        "events": list(OrderEvent.objects.order_by("pk").values_list("pk", flat=True)),
        "shipments": list(Shipment.objects.values_list("pk", flat=True)),
        "reviews": list(Review.objects.order_by("pk").values()),
        "stock": list(Sku.objects.order_by("pk").values_list("stock", "reserved", "sold")),
    }


# --- product page: buying ----------------------------------------------------------------------


def test_product_page_offers_cart_and_sample_to_a_buyer(bowl: Product, buyer_x: Person) -> None:
    response = buyer_x.client.get(f"/p/{bowl.pk}/", {"sku": "BOWL", "quantity": "120"})
    found = texts(response)
    assert found["add-to-cart"] == ["Add to cart"]
    assert found["order-sample"] == ["Order a sample"]
    assert "¥5.00 each, up to 3 per order" in text(response, "sample-form")
    assert 'max="3"' in response.content.decode()
    assert "login-to-order" not in found


def test_product_page_sends_anonymous_visitors_to_log_in(bowl: Product, anonymous: Person) -> None:
    response = anonymous.client.get(f"/p/{bowl.pk}/", {"sku": "BOWL", "quantity": "20"})
    found = texts(response)
    assert found["login-to-order"] == ["Log in to order"]
    assert f'href="/accounts/login/?next=/p/{bowl.pk}/%3Fsku%3DBOWL%26quantity%3D20"' in (
        response.content.decode()
    )
    assert "add-to-cart" not in found
    assert "sample-form" not in found


@pytest.mark.parametrize("who", ["supplier_a", "supplier_b", "operator"])
def test_product_page_shows_no_buy_buttons_to_other_kinds(
    bowl: Product, cast: dict[str, Person], who: str
) -> None:
    found = texts(cast[who].client.get(f"/p/{bowl.pk}/"))
    assert {"add-to-cart", "sample-form", "login-to-order"}.isdisjoint(found)


def test_sample_form_only_for_skus_with_a_sample_price(bowl: Product, buyer_x: Person) -> None:
    response = buyer_x.client.get(f"/p/{bowl.pk}/", {"sku": "BOWL-B"}, **HTMX)
    assert "sample-form" not in texts(response)


def test_add_to_cart_puts_the_chosen_sku_and_quantity_in_the_cart(
    bowl: Product, buyer_x: Person
) -> None:
    response = buyer_x.client.post(
        "/cart/add/", {"product_id": bowl.pk, "sku": "BOWL", "quantity": "120", "kind": "wholesale"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/p/{bowl.pk}/?sku=BOWL&quantity=120"
    assert flash(response) == ["Added 120 × Bowl (Red) to your cart."]
    line = CartLine.objects.get()
    assert (line.buyer_id, line.sku_id, line.kind, line.quantity) == (
        org_id(buyer_x),
        sku_of(bowl, "BOWL").pk,
        "wholesale",
        120,
    )
    # A second press adds to the same line.
    buyer_x.client.post("/cart/add/", {"product_id": bowl.pk, "sku": "BOWL", "quantity": "30"})
    assert list(CartLine.objects.values_list("quantity", flat=True)) == [150]


def test_order_a_sample_adds_a_sample_line(bowl: Product, buyer_x: Person) -> None:
    chosen = sku_of(bowl, "BOWL")
    response = buyer_x.client.post(
        "/cart/add/",
        {"product_id": bowl.pk, "sku_id": chosen.pk, "kind": "sample", "quantity": "2"},
    )
    assert (response.status_code, response["Location"]) == (302, f"/p/{bowl.pk}/?sku=BOWL")
    assert flash(response) == ["Added 2 sample(s) of Bowl (Red) to your cart."]
    assert list(CartLine.objects.values_list("kind", "quantity")) == [("sample", 2)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sku": "BOWL", "quantity": "0"}, "Enter a whole number from 1 to 1000000."),
        ({"sku": "BOWL", "quantity": "many"}, "Enter a whole number from 1 to 1000000."),
        ({"sku_id": "SKU", "kind": "sample", "quantity": "4"}, "At most 3 samples per order."),
        (
            {"sku": "BOWL-B", "kind": "sample", "quantity": "1"},
            "This item is not offered as a sample.",
        ),
    ],
)
def test_add_to_cart_refusals_go_back_with_the_reason(
    bowl: Product, buyer_x: Person, data: dict[str, str], message: str
) -> None:
    if data.get("sku_id") == "SKU":
        data = data | {"sku_id": str(sku_of(bowl, "BOWL").pk)}
    response = buyer_x.client.post("/cart/add/", {"product_id": bowl.pk, **data})
    assert response.status_code == 302
    assert response["Location"].startswith(f"/p/{bowl.pk}/")
    assert flash(response) == [message]
    assert not CartLine.objects.exists()


def test_add_to_cart_of_another_products_sku_is_a_404(
    bowl: Product, cup: Product, buyer_x: Person
) -> None:
    response = buyer_x.client.post(
        "/cart/add/", {"product_id": bowl.pk, "sku_id": sku_of(cup).pk, "quantity": "60"}
    )
    assert response.status_code == 404
    assert not CartLine.objects.exists()


def test_suppliers_cannot_add_to_a_cart(bowl: Product, supplier_b: Person) -> None:
    response = supplier_b.client.post(
        "/cart/add/", {"product_id": bowl.pk, "sku": "BOWL", "quantity": "10"}
    )
    assert response.status_code == 404
    assert not CartLine.objects.exists()


# --- cart ----------------------------------------------------------------------------------------


@pytest.fixture
def cart(bowl: Product, cup: Product, buyer_x: Person) -> dict[str, CartLine]:
    buyer = actor(buyer_x)
    return {
        "bowl": services.cart_add(actor=buyer, sku_id=sku_of(bowl, "BOWL").pk, quantity=95),
        "cup": services.cart_add(actor=buyer, sku_id=sku_of(cup).pk, quantity=20),
    }


def test_cart_groups_lines_by_supplier_with_breaks_and_problems(
    cart: dict[str, CartLine], buyer_x: Person
) -> None:
    response = buyer_x.client.get("/cart/")
    found = texts(response)
    assert response.status_code == 200
    assert [g.split(" ")[0] for g in found["group-supplier-a"]] == ["supplier_a"]
    assert found["unit-price"] == ["¥12.50", "¥3.00"]
    assert found["applied-break"] == ["the 10+ price"]
    assert found["next-break"] == ["5 more for ¥11.00 each", "30 more for ¥3.00 each"]
    assert found["line-total"] == ["¥1,187.50", "¥60.00"]
    assert found["group-total"] == ["¥1,187.50", "¥60.00"]
    assert found["cart-total"] == ["¥1,247.50"]
    assert "The minimum order is 50 units (MOQ)." in text(response, "line-CUP")
    # A problem anywhere: checkout is a disabled button, not a link.
    assert 'disabled data-testid="checkout"' in response.content.decode()


def test_cart_without_problems_links_to_checkout(bowl: Product, buyer_x: Person) -> None:
    services.cart_add(actor=actor(buyer_x), sku_id=sku_of(bowl, "BOWL").pk, quantity=100)
    response = buyer_x.client.get("/cart/")
    assert (
        '<a class="button" href="/checkout/" data-testid="checkout">' in response.content.decode()
    )
    assert texts(response)["applied-break"] == ["the 100+ price"]


def test_empty_cart_says_so(buyer_x: Person) -> None:
    assert text(buyer_x.client.get("/cart/"), "cart-empty").startswith("Your cart is empty.")


def test_htmx_quantity_change_returns_the_repriced_cart(
    cart: dict[str, CartLine], buyer_x: Person
) -> None:
    response = buyer_x.client.post(f"/cart/lines/{cart['bowl'].pk}/", {"quantity": "100"}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "cart-changed"
    assert "<html" not in response.content.decode()  # the partial only
    found = texts(response)
    assert found["unit-price"] == ["¥11.00", "¥3.00"]
    assert found["applied-break"] == ["the 100+ price"]
    assert found["next-break"] == ["400 more for ¥9.80 each", "30 more for ¥3.00 each"]
    assert found["group-total"] == ["¥1,100.00", "¥60.00"]
    assert found["cart-total"] == ["¥1,160.00"]
    assert CartLine.objects.get(pk=cart["bowl"].pk).quantity == 100


def test_quantity_change_without_htmx_redirects_to_the_cart(
    cart: dict[str, CartLine], buyer_x: Person
) -> None:
    response = buyer_x.client.post(f"/cart/lines/{cart['cup'].pk}/", {"quantity": "50"})
    assert (response.status_code, response["Location"]) == (302, "/cart/")
    assert CartLine.objects.get(pk=cart["cup"].pk).quantity == 50


@pytest.mark.parametrize("quantity", ["-1", "abc", "", "1000001"])
def test_bad_quantity_shows_next_to_the_line_and_changes_nothing(
    cart: dict[str, CartLine], buyer_x: Person, quantity: str
) -> None:
    before = snapshot()
    response = buyer_x.client.post(
        f"/cart/lines/{cart['bowl'].pk}/", {"quantity": quantity}, **HTMX
    )
    assert response.status_code == 422
    assert texts(response)["line-error"] == ["Enter a whole number from 0 to 1000000."]
    assert snapshot() == before


def test_quantity_zero_removes_the_line(cart: dict[str, CartLine], buyer_x: Person) -> None:
    response = buyer_x.client.post(f"/cart/lines/{cart['cup'].pk}/", {"quantity": "0"}, **HTMX)
    assert response.status_code == 200
    assert list(CartLine.objects.values_list("pk", flat=True)) == [cart["bowl"].pk]
    assert "group-supplier-b" not in texts(response)


def test_remove_line_with_htmx(cart: dict[str, CartLine], buyer_x: Person) -> None:
    response = buyer_x.client.post(f"/cart/lines/{cart['bowl'].pk}/remove/", **HTMX)
    assert response.status_code == 200
    assert texts(response)["cart-total"] == ["¥60.00"]
    assert list(CartLine.objects.values_list("pk", flat=True)) == [cart["cup"].pk]


def test_another_buyers_cart_line_is_a_404(cart: dict[str, CartLine], buyer_y: Person) -> None:
    before = snapshot()
    line = cart["bowl"].pk
    assert buyer_y.client.post(f"/cart/lines/{line}/", {"quantity": "3"}).status_code == 404
    assert buyer_y.client.post(f"/cart/lines/{line}/remove/").status_code == 404
    assert snapshot() == before


def test_store_wide_mixed_batch_state_is_shown(
    bowl: Product, supplier_a: Person, buyer_x: Person
) -> None:
    SupplierProfile.objects.filter(organization_id=org_id(supplier_a)).update(mixed_batch_moq=30)
    services.cart_add(actor=actor(buyer_x), sku_id=sku_of(bowl, "BOWL").pk, quantity=4)
    services.cart_add(actor=actor(buyer_x), sku_id=sku_of(bowl, "BOWL-B").pk, quantity=5)
    group = text(buyer_x.client.get("/cart/"), "group-supplier-a")
    assert "at least 30 units in all, any of its items counting; this cart holds 9." in group
    assert "Mixed batch: this supplier ships orders of at least 30 units in all (now 9)" in group


# --- address book --------------------------------------------------------------------------------

ADDRESS = {
    "recipient": "李雷",
    "phone": "+86 139 0000 0000",
    "country": "cn",
    "province": "浙江",
    "city": "义乌",
    "street": "福田路 1 号",
}


def test_address_book_adds_the_first_address_as_default(buyer_x: Person) -> None:
    response = buyer_x.client.post("/addresses/", ADDRESS)
    assert (response.status_code, response["Location"]) == (302, "/addresses/")
    address = Address.objects.get()
    assert (address.buyer_id, address.recipient, address.country, address.is_default) == (
        org_id(buyer_x),
        "李雷",
        "CN",
        True,
    )
    page = buyer_x.client.get("/addresses/")
    assert "李雷 · +86 139 0000 0000" in text(page, f"address-{address.pk}")


def test_address_form_goes_back_to_checkout_when_asked(buyer_x: Person) -> None:
    response = buyer_x.client.post("/addresses/", ADDRESS | {"next": "/checkout/"})
    assert response["Location"] == "/checkout/"
    evil = buyer_x.client.post("/addresses/", ADDRESS | {"next": "https://evil.test/"})
    assert evil["Location"] == "/addresses/"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "call me", "Enter a phone number (digits, spaces, + - ( ))."),
        ("country", "中国", "Use a two-letter country code such as CN or DE."),
        ("city", "", "This field is required."),
    ],
)
def test_address_errors_show_next_to_the_field(
    buyer_x: Person, field: str, value: str, message: str
) -> None:
    response = buyer_x.client.post("/addresses/", ADDRESS | {field: value})
    assert response.status_code == 422
    assert page_errors(response) == [message]
    assert f'has-error">\n  <label for="id_{field}">' in response.content.decode()
    assert not Address.objects.exists()


def test_edit_set_default_and_delete_an_address(buyer_x: Person) -> None:
    first = address_for(actor(buyer_x))
    second = address_for(actor(buyer_x), recipient="韩梅梅")
    response = buyer_x.client.post(f"/addresses/{second.pk}/", ADDRESS | {"label": "Shop"})
    assert response.status_code == 302
    second.refresh_from_db()
    assert (second.label, second.recipient, second.is_default) == ("Shop", "李雷", False)

    buyer_x.client.post(f"/addresses/{second.pk}/default/")
    assert list(Address.objects.order_by("pk").values_list("is_default", flat=True)) == [
        False,
        True,
    ]
    buyer_x.client.post(f"/addresses/{second.pk}/delete/")
    assert list(Address.objects.values_list("pk", "is_default")) == [(first.pk, True)]


def test_another_buyers_address_is_a_404(buyer_x: Person, buyer_y: Person) -> None:
    address = address_for(actor(buyer_x))
    before = snapshot()
    assert buyer_y.client.get(f"/addresses/{address.pk}/").status_code == 404
    assert buyer_y.client.post(f"/addresses/{address.pk}/", ADDRESS).status_code == 404
    assert buyer_y.client.post(f"/addresses/{address.pk}/delete/").status_code == 404
    assert buyer_y.client.post(f"/addresses/{address.pk}/default/").status_code == 404
    assert snapshot() == before


# --- orders: lists -------------------------------------------------------------------------------


@pytest.fixture
def trade(bowl: Product, cup: Product, buyer_x: Person, supplier_a: Person) -> dict[str, Order]:
    """buyer_x's orders: one at supplier_b awaiting payment, two at supplier_a paid."""
    buyer = actor(buyer_x)
    waiting = orders_of(place(buyer, [(sku_of(cup), 60)]))[0]
    paid_submission = place(buyer, [(sku_of(bowl, "BOWL"), 100), (sku_of(bowl, "BOWL-B"), 4)])
    capture(paid_submission.payment)
    paid = Order.objects.get(pk=paid_submission.order_ids[0])
    other = place(buyer, [(sku_of(bowl, "BOWL"), 10)])
    capture(other.payment)
    return {"waiting": waiting, "paid": paid, "other": Order.objects.get(pk=other.order_ids[0])}


def test_buyer_order_list_tabs(trade: dict[str, Order], buyer_x: Person) -> None:
    everything = texts(buyer_x.client.get("/orders/"))
    numbers = [o.number for o in (trade["other"], trade["paid"], trade["waiting"])]
    assert [k.removeprefix("order-") for k in everything if k.startswith("order-")] == numbers
    unpaid = texts(buyer_x.client.get("/orders/", {"status": "unpaid"}))
    assert [k for k in unpaid if k.startswith("order-")] == [f"order-{trade['waiting'].number}"]
    row = text(
        buyer_x.client.get("/orders/", {"status": "to_ship"}), f"order-{trade['paid'].number}"
    )
    assert row.startswith(f"{trade['paid'].number} supplier_a Co. Bowl × 100 and 1 more line")
    assert "¥1,152.00 Paid, to ship" in row


def test_supplier_inbox_defaults_to_orders_to_ship(
    trade: dict[str, Order], supplier_a: Person
) -> None:
    found = texts(supplier_a.client.get("/workbench/orders/"))
    assert [k for k in found if k.startswith("order-")] == [
        f"order-{trade['other'].number}",
        f"order-{trade['paid'].number}",
    ]
    unpaid = texts(supplier_a.client.get("/workbench/orders/", {"status": "unpaid"}))
    assert [k for k in unpaid if k.startswith("order-")] == []  # supplier_b's order is not here


def test_supplier_is_sent_from_the_buyer_list_to_the_inbox(supplier_a: Person) -> None:
    response = supplier_a.client.get("/orders/")
    assert (response.status_code, response["Location"]) == (302, "/workbench/orders/")


# --- the order page ------------------------------------------------------------------------------


def actions_on(response: HttpResponse) -> list[str]:
    return sorted(k.removeprefix("action-") for k in texts(response) if k.startswith("action-"))


def test_order_page_shows_lines_timeline_and_each_sides_actions(
    trade: dict[str, Order], buyer_x: Person, supplier_a: Person, operator: Person
) -> None:
    order = trade["paid"]
    buyer_page = buyer_x.client.get(f"/orders/{order.pk}/")
    assert text(buyer_page, "status") == "Paid, to ship"
    assert text(buyer_page, "total") == "¥1,152.00"
    assert text(buyer_page, "line-BOWL") == "Bowl BOWL · Red ¥11.00 the 100+ price 100 0 ¥1,100.00"
    timeline = text(buyer_page, "timeline")
    assert "Awaiting payment · Buyer (buyer_x)" in timeline
    assert f"Paid, to ship · System: “{trade['paid'].checkout_id}" not in timeline
    assert "Paid, to ship · System:" in timeline
    assert actions_on(buyer_page) == ["cancel", "reorder"]
    assert actions_on(supplier_a.client.get(f"/orders/{order.pk}/")) == ["cancel", "ship"]
    assert actions_on(operator.client.get(f"/orders/{order.pk}/")) == ["cancel"]


def test_another_tenants_order_is_a_404(
    trade: dict[str, Order], buyer_y: Person, supplier_b: Person
) -> None:
    before = snapshot()
    order = trade["paid"]
    assert buyer_y.client.get(f"/orders/{order.pk}/").status_code == 404
    assert supplier_b.client.get(f"/orders/{order.pk}/").status_code == 404
    assert supplier_b.client.post(f"/orders/{order.pk}/cancel/").status_code == 404
    assert snapshot() == before


def ship(order: Order, person: Person, **quantities: int) -> HttpResponse:
    data: dict[str, Any] = {"ship-carrier_code": "sf", "ship-tracking_number": "SF1000000000123"}
    for line in order.lines.all():
        data[f"ship-line_{line.pk}"] = quantities.get(line.sku_code, line.to_ship)
    return person.client.post(f"/orders/{order.pk}/ship/", data)


def test_partial_shipment_then_the_rest(
    trade: dict[str, Order], supplier_a: Person, buyer_x: Person
) -> None:
    order = trade["paid"]
    response = ship(order, supplier_a, BOWL=60, **{"BOWL-B": 0})
    assert (response.status_code, response["Location"]) == (302, f"/orders/{order.pk}/")
    assert flash(response) == ["Shipment recorded; the buyer was told."]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert list(order.lines.order_by("pk").values_list("shipped_quantity", flat=True)) == [60, 0]
    page = supplier_a.client.get(f"/orders/{order.pk}/")
    assert texts(page)["shipment"] == [
        "SF Express SF1000000000123 · " + _time(order) + " (BOWL × 60)"
    ]
    assert "Partial shipment: SF Express SF1000000000123" in text(page, "timeline")
    assert 'name="ship-line_' in page.content.decode()  # the rest still to ship

    ship(order, supplier_a)  # what is left
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert list(order.lines.order_by("pk").values_list("shipped_quantity", flat=True)) == [100, 4]
    assert actions_on(buyer_x.client.get(f"/orders/{order.pk}/")) == [
        "receive",
        "refund",
        "reorder",
    ]


def _time(order: Order) -> str:
    shipment = Shipment.objects.filter(order=order).order_by("-pk").first()
    assert shipment is not None
    return timezone.localtime(shipment.created_at).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"ship-carrier_code": ""}, "This field is required."),
        (
            {"ship-carrier_code": "pigeon"},
            "Unknown carrier “pigeon”: choose one from the list, or “other” and type the "
            "carrier's name.",
        ),
        ({"ship-carrier_code": "other"}, "Name the carrier (up to 60 characters)."),
        (
            {"ship-tracking_number": "SF 12#4"},
            "Enter the tracking number: 4 to 40 letters, digits or dashes.",
        ),
        (
            {"ship-tracking_number": "SF12"},
            "SF Express tracking numbers look like SF1234567890123: check this one, or "
            "choose another carrier.",
        ),
        ({"ship-line_BOWL": "101"}, "Ensure this value is less than or equal to 100."),
        ({"ship-line_BOWL": "0", "ship-line_BOWL-B": "0"}, "Choose at least one unit to ship."),
    ],
)
def test_ship_errors_show_on_the_form_and_change_nothing(
    trade: dict[str, Order], supplier_a: Person, data: dict[str, str], message: str
) -> None:
    order = trade["paid"]
    lines = {line.sku_code: line.pk for line in order.lines.all()}
    posted: dict[str, Any] = {"ship-carrier_code": "sf", "ship-tracking_number": "SF1000000000001"}
    posted |= {f"ship-line_{pk}": 1 for pk in lines.values()}
    for key, value in data.items():
        code = key.removeprefix("ship-line_")
        posted[f"ship-line_{lines[code]}" if code in lines else key] = value
    before = snapshot()
    response = supplier_a.client.post(f"/orders/{order.pk}/ship/", posted)
    assert response.status_code == 422
    assert message in page_errors(response)
    assert snapshot() == before


def test_buyer_confirms_receipt(
    trade: dict[str, Order], supplier_a: Person, buyer_x: Person
) -> None:
    order = trade["other"]
    ship(order, supplier_a)
    response = buyer_x.client.post(f"/orders/{order.pk}/receive/")
    assert flash(response) == ["Receipt confirmed; the payment was released to the supplier."]
    order.refresh_from_db()
    assert (order.status, order.released_minor) == (OrderStatus.COMPLETED, 12500)


def test_receipt_of_an_unshipped_order_is_refused_with_the_reason(
    trade: dict[str, Order], buyer_x: Person
) -> None:
    before = snapshot()
    response = buyer_x.client.post(f"/orders/{trade['paid'].pk}/receive/")
    assert response.status_code == 409
    assert text(response, "page-error") == (
        "An order that is Paid, to ship cannot become Received (asked by the buyer)."
    )
    assert snapshot() == before


def test_another_sides_action_is_a_404(
    trade: dict[str, Order], buyer_x: Person, supplier_a: Person
) -> None:
    before = snapshot()
    assert ship(trade["paid"], buyer_x).status_code == 404
    assert supplier_a.client.post(f"/orders/{trade['paid'].pk}/receive/").status_code == 404
    assert supplier_a.client.post(f"/orders/{trade['paid'].pk}/reorder/").status_code == 404
    assert snapshot() == before


def test_buyer_cancels_an_unpaid_order_and_the_stock_comes_back(
    trade: dict[str, Order], buyer_x: Person
) -> None:
    order = trade["waiting"]
    response = buyer_x.client.post(f"/orders/{order.pk}/cancel/", {"cancel-reason": "Too slow"})
    assert flash(response) == ["Order cancelled."]
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    cup = Sku.objects.get(code="CUP")
    assert (cup.stock, cup.reserved) == (1000, 0)
    timeline = text(buyer_x.client.get(f"/orders/{order.pk}/"), "timeline")
    assert "Cancelled · Buyer (buyer_x): Too slow" in timeline


def test_refund_request_withdraw_and_resolve(
    trade: dict[str, Order], supplier_a: Person, buyer_x: Person
) -> None:
    order = trade["other"]
    ship(order, supplier_a)
    bad = buyer_x.client.post(
        f"/orders/{order.pk}/refund/", {"refund-amount": "126.00", "refund-reason": "Broken"}
    )
    assert bad.status_code == 422
    assert page_errors(bad) == ["Ask for an amount between 0.01 and what you paid."]
    order.refresh_from_db()
    assert (order.status, order.refund_requested_minor) == (OrderStatus.SHIPPED, 0)

    typo = buyer_x.client.post(
        f"/orders/{order.pk}/refund/", {"refund-amount": "12,5", "refund-reason": "Broken"}
    )
    assert page_errors(typo) == ["Enter an amount such as 12.50."]

    buyer_x.client.post(
        f"/orders/{order.pk}/refund/", {"refund-amount": "25.00", "refund-reason": "Two broke"}
    )
    order.refresh_from_db()
    assert (order.status, order.refund_requested_minor) == (OrderStatus.REFUND_REQUESTED, 2500)
    page = supplier_a.client.get(f"/orders/{order.pk}/")
    assert text(page, "refund-requested") == "¥25.00"
    assert 'name="resolve-amount" value="25.00"' in page.content.decode()
    assert actions_on(page) == ["decline", "resolve"]

    buyer_x.client.post(f"/orders/{order.pk}/withdraw/")
    order.refresh_from_db()
    assert (order.status, order.refund_requested_minor) == (OrderStatus.SHIPPED, 0)

    buyer_x.client.post(
        f"/orders/{order.pk}/refund/", {"refund-amount": "25.00", "refund-reason": "Two broke"}
    )
    response = supplier_a.client.post(f"/orders/{order.pk}/resolve/", {"resolve-amount": "20"})
    assert flash(response) == ["Refunded ¥20.00 to the buyer."]
    order.refresh_from_db()
    assert (order.status, order.refunded_minor) == (OrderStatus.PARTLY_REFUNDED, 2000)


def test_supplier_must_say_why_it_declines(
    trade: dict[str, Order], supplier_a: Person, buyer_x: Person
) -> None:
    order = trade["other"]
    ship(order, supplier_a)
    services.order_request_refund(
        actor=actor(buyer_x), order_id=order.pk, amount_minor=500, reason="Scratched"
    )
    before = snapshot()
    response = supplier_a.client.post(f"/orders/{order.pk}/decline/", {"decline-reason": " "})
    assert response.status_code == 422
    assert page_errors(response) == ["Tell the buyer why you decline."]
    assert snapshot() == before
    supplier_a.client.post(f"/orders/{order.pk}/decline/", {"decline-reason": "No damage seen"})
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED


def test_review_once_and_reply_once(
    trade: dict[str, Order], supplier_a: Person, buyer_x: Person, anonymous: Person
) -> None:
    order = trade["other"]
    ship(order, supplier_a)
    services.order_confirm_receipt(actor=actor(buyer_x), order_id=order.pk)
    scores = {"review-quality": "5", "review-accuracy": "4", "review-shipping_speed": "5"}
    missing = buyer_x.client.post(f"/orders/{order.pk}/review/", scores)
    assert missing.status_code == 422
    assert page_errors(missing) == ["This field is required."]
    assert not Review.objects.exists()

    scores |= {"review-communication": "4", "review-text": "Solid bowls"}
    response = buyer_x.client.post(f"/orders/{order.pk}/review/", scores)
    assert flash(response) == ["Thank you for your review."]
    review = Review.objects.get()
    assert (review.quality, review.accuracy, review.text) == (5, 4, "Solid bowls")
    page = buyer_x.client.get(f"/orders/{order.pk}/")
    assert "review" not in actions_on(page)
    assert text(page, "review").startswith("4.5 / 5 Quality 5 · As described 4")
    again = buyer_x.client.post(f"/orders/{order.pk}/review/", scores)
    assert again.status_code == 409
    assert text(again, "page-error") == "You already reviewed this order."
    assert Review.objects.count() == 1

    supplier_a.client.post(f"/orders/{order.pk}/reply/", {"reply-reply": "Thanks!"})
    review.refresh_from_db()
    assert review.reply == "Thanks!"
    storefront = anonymous.client.get("/s/supplier-a/")
    assert text(storefront, "rating") == "4.50 / 5 from 1 review"
    assert "The supplier replied: Thanks!" in text(storefront, "review")
    product = anonymous.client.get(f"/p/{order.lines.first().product_id}/")  # type: ignore[union-attr]
    assert text(product, "rating") == "4.50 / 5 from 1 review"
    assert texts(product)["review"][0].startswith("4.5 / 5 Quality 5")


def test_reorder_puts_the_items_back_in_the_cart(trade: dict[str, Order], buyer_x: Person) -> None:
    response = buyer_x.client.post(f"/orders/{trade['paid'].pk}/reorder/")
    assert (response.status_code, response["Location"]) == (302, "/cart/")
    assert flash(response) == ["2 item(s) added to your cart."]
    assert sorted(CartLine.objects.values_list("sku__code", "quantity")) == [
        ("BOWL", 100),
        ("BOWL-B", 4),
    ]


def test_pending_order_links_to_payment(trade: dict[str, Order], buyer_x: Person) -> None:
    page = buyer_x.client.get(f"/orders/{trade['waiting'].pk}/")
    assert f'href="/pay/orders/{trade["waiting"].pk}/" data-testid="pay"' in page.content.decode()


# --- header navigation ------------------------------------------------------------------------


def test_header_counts_cart_lines_and_unread_notifications(
    cart: dict[str, CartLine], buyer_x: Person, supplier_a: Person, anonymous: Person
) -> None:
    Notification.objects.create(organization_id=org_id(buyer_x), verb="x", message="Hello")
    found = texts(buyer_x.client.get("/nav/", **HTMX))
    assert (found["cart-count"], found["unread-count"]) == (["2"], ["1"])
    supplier = texts(supplier_a.client.get("/nav/", **HTMX))
    assert "cart-count" not in supplier
    assert "unread-count" not in supplier
    assert anonymous.client.get("/nav/").status_code == 204


def test_pages_load_the_counts_after_rendering(buyer_x: Person, anonymous: Person) -> None:
    page = buyer_x.client.get("/").content.decode()
    assert 'hx-get="/nav/" hx-trigger="load, cart-changed from:body"' in page
    assert "/nav/" not in anonymous.client.get("/").content.decode()


def test_capture_marks_orders_paid_for_the_pages(trade: dict[str, Order]) -> None:
    """Guard for the fixtures above: the captured checkout's orders are paid."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        pass
    assert Order.objects.get(pk=trade["paid"].pk).status == OrderStatus.PAID


# --- what the supplier states for the trade loop ---------------------------------------------


def test_store_wide_mixed_batch_moq_is_set_on_the_profile_and_shown_to_buyers(
    supplier_a: Person, anonymous: Person
) -> None:
    page = supplier_a.client.get("/workbench/profile/").content.decode()
    assert 'name="mixed_batch_moq"' in page
    response = supplier_a.client.post(
        "/workbench/profile/", {"business_type": "factory", "mixed_batch_moq": "30"}
    )
    assert response.status_code == 302
    profile = SupplierProfile.objects.get(organization_id=org_id(supplier_a))
    assert profile.mixed_batch_moq == 30
    assert text(anonymous.client.get("/s/supplier-a/"), "mixed-batch") == (
        "Mixed batch (混批): order any of this store's items together, at least 30 units in all."
    )
    refused = supplier_a.client.post(
        "/workbench/profile/", {"business_type": "factory", "mixed_batch_moq": "0"}
    )
    assert refused.status_code == 200
    assert page_errors(refused) == ["Ensure this value is greater than or equal to 1."]
    profile.refresh_from_db()
    assert profile.mixed_batch_moq == 30


def test_sample_limit_is_saved_by_the_product_form(
    bowl: Product, supplier_a: Person, category: Category
) -> None:
    from huoyuan.catalogue.forms import SkuForm

    assert SkuForm.initial_for(sku_of(bowl, "BOWL"))["sample_limit"] == 3
    data: dict[str, Any] = {
        "category": category.pk,
        "title_en": "Bowl",
        "currency": "CNY",
        "lead_time_days": 3,
        "sku-TOTAL_FORMS": 1,
        "sku-INITIAL_FORMS": 0,
        "sku-MIN_NUM_FORMS": 1,
        "sku-MAX_NUM_FORMS": 100,
        "sku-0-code": "BOWL",
        "sku-0-stock": 10,
        "sku-0-moq": 1,
        "sku-0-q1": 1,
        "sku-0-p1": "12.50",
        "sku-0-sample_price": "5",
    }
    refused = supplier_a.client.post(
        f"/workbench/products/{bowl.pk}/", data | {"sku-0-sample_limit": "0"}
    )
    assert refused.status_code == 200
    sku_form = refused.context["skus"].forms[0]
    assert sku_form.errors["sample_limit"] == ["Ensure this value is greater than or equal to 1."]
    assert sku_of(bowl, "BOWL").sample_limit == 3
    saved = supplier_a.client.post(
        f"/workbench/products/{bowl.pk}/", data | {"sku-0-sample_limit": "5"}
    )
    assert saved.status_code == 302
    assert sku_of(bowl, "BOWL").sample_limit == 5
