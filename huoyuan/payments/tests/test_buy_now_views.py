"""Buy now from the product page: the review page, the placement, a price that moves between them,
and the refusals, each leaving nothing behind."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from huoyuan.catalogue.models import Category, PriceTier, Product
from huoyuan.catalogue.tests.factories import make_product, sku
from huoyuan.orders import services as orders
from huoyuan.orders.models import CartLine, Order, OrderLine
from huoyuan.orders.tests.factories import address_for, sku_of
from huoyuan.orders.tests.test_views import flash, page_errors, texts
from huoyuan.payments.models import Payment
from huoyuan.payments.tests.test_views import actor, hidden, state

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def bowl(supplier_a: Person, category: Category) -> Product:
    return make_product(
        actor(supplier_a),
        category,
        title_en="Bowl",
        skus=[sku("BOWL", ladder=[(10, 1250), (100, 1100)], stock=1000)],
    )


def review(person: Person, product: Product, quantity: int, **extra: Any) -> Any:
    """What the product page's "Buy now" button sends."""
    data = {"product_id": product.pk, "sku": "BOWL", "quantity": quantity, "kind": "wholesale"}
    return person.client.post("/checkout/buy-now/", {**data, **extra})


def place(person: Person, page: Any, address: int, **extra: Any) -> Any:
    data = {
        name: hidden(page, name)
        for name in ("product_id", "sku_id", "quantity", "kind", "quote_token", "seen")
    }
    return person.client.post(
        "/checkout/buy-now/",
        {**data, "address": address, "payment_method": "sandbox", **extra},
    )


def test_the_product_page_offers_buy_now_next_to_add_to_cart(
    bowl: Product, buyer_x: Person
) -> None:
    response = buyer_x.client.get(f"/p/{bowl.pk}/")
    assert texts(response)["buy-now"] == ["Buy now"]
    assert 'formaction="/checkout/buy-now/"' in response.content.decode()


def test_buy_now_shows_the_review_then_places_one_order_and_leaves_the_cart(
    bowl: Product, buyer_x: Person, supplier_b: Person, category: Category
) -> None:
    buyer = actor(buyer_x)
    cup = make_product(actor(supplier_b), category, title_en="Cup", skus=[sku("CUP")])
    orders.cart_add(actor=buyer, sku_id=sku_of(cup).pk, quantity=5)
    home = address_for(buyer, recipient="韩梅梅")

    page = review(buyer_x, bowl, 120)
    assert page.status_code == 200
    found = texts(page)
    assert (found["unit-price"], found["total"]) == (["¥11.00"], ["¥1,320.00"])
    assert Order.objects.count() == 0  # the review places nothing

    response = place(buyer_x, page, home.pk, **{f"note_{bowl.supplier_id}": "Gift boxes"})
    payment = Payment.objects.get()
    assert (response.status_code, response["Location"]) == (
        302,
        f"/pay/sandbox/{payment.reference}/",
    )
    order = Order.objects.get()
    assert (order.total_minor, order.note, order.address["recipient"]) == (
        132000,
        "Gift boxes",
        "韩梅梅",
    )
    assert list(OrderLine.objects.values_list("sku_code", "quantity")) == [("BOWL", 120)]
    assert list(CartLine.objects.values_list("quantity", flat=True)) == [5]
    assert flash(response) == ["Order placed. Pay ¥1,320.00 to confirm it."]


def test_a_price_change_between_review_and_placing_is_shown_and_nothing_is_ordered(
    bowl: Product, buyer_x: Person
) -> None:
    home = address_for(actor(buyer_x))
    page = review(buyer_x, bowl, 120)
    PriceTier.objects.filter(sku__product=bowl, min_quantity=100).update(unit_price_minor=1150)
    before = state()
    response = place(buyer_x, page, home.pk)
    assert response.status_code == 409
    assert (
        "Bowl (Black): the unit price is now ¥11.50 (was ¥11.00)." in texts(response)["changes"][0]
    )
    assert state() == before
    again = place(buyer_x, response, home.pk)  # placing from the refreshed page works
    assert again.status_code == 302
    assert Order.objects.get().total_minor == 138000


def test_a_quantity_below_the_moq_shows_the_problem_and_no_place_button(
    bowl: Product, buyer_x: Person
) -> None:
    page = review(buyer_x, bowl, 5)
    assert page.status_code == 200
    assert "The minimum order is 10 units (MOQ)." in page_errors(page)
    assert "place" not in texts(page)
    before = state()
    response = place(buyer_x, page, address_for(actor(buyer_x)).pk)
    assert response.status_code == 422
    assert "The minimum order is 10 units (MOQ)." in page_errors(response)
    assert state() == before


def test_refusals(bowl: Product, buyer_x: Person, supplier_a: Person, category: Category) -> None:
    draft = make_product(actor(supplier_a), category, publish=False, skus=[sku("BOWL")])
    before = state()
    assert review(buyer_x, draft, 10).status_code == 404
    assert review(buyer_x, bowl, 10, sku="NOPE").status_code == 404
    assert review(buyer_x, bowl, 10, product_id="x").status_code == 404
    bad = review(buyer_x, bowl, 0)
    assert (bad.status_code, bad["Location"]) == (302, f"/p/{bowl.pk}/")
    assert supplier_a.client.post("/checkout/buy-now/", {"product_id": bowl.pk}).status_code == 404
    assert buyer_x.client.get("/checkout/buy-now/").status_code == 405
    page = review(buyer_x, bowl, 20)
    no_address = place(buyer_x, page, 10**9)
    assert no_address.status_code == 422
    assert state() == before
