"""The cart and its live quote: ladder breaks, MOQ, mixed batches (混批), stock, samples, limits;
and reorder, which fills the cart from a past order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from huoyuan.catalogue.contracts import ProductStatus
from huoyuan.catalogue.models import Category, PriceTier, Product, Sku
from huoyuan.catalogue.services import product_set_status, product_update
from huoyuan.catalogue.tests.factories import make_product, product_input, sku
from huoyuan.orders import services
from huoyuan.orders.cart import MAX_CART_LINES, MAX_QUANTITY
from huoyuan.orders.errors import BuyersOnly, CartInvalid, Conflict, NotFound, ValidationFailed
from huoyuan.orders.models import CartLine, Order
from huoyuan.orders.tests.factories import address_for, place, sku_of
from huoyuan.payments import services as payments
from huoyuan.payments.models import Payment
from huoyuan.suppliers.models import SupplierProfile

if TYPE_CHECKING:
    from conftest import Person
    from huoyuan.accounts.contracts import Actor

pytestmark = pytest.mark.django_db


def cart_of(actor: Actor) -> list[tuple[str, str, int]]:
    return list(
        CartLine.objects.filter(buyer_id=actor.organization_id)
        .order_by("pk")
        .values_list("sku__code", "kind", "quantity")
    )


def pricing(line: services.QuoteLine) -> dict[str, Any]:
    return {
        "unit": line.unit_price_minor,
        "total": line.total_minor,
        "applied": line.applied_min_quantity,
        "next": line.next_break_min_quantity,
        "next_unit": line.next_break_unit_price_minor,
        "to_next": line.units_to_next_break,
        "problems": line.problems,
    }


def nothing_ordered() -> bool:
    return not Order.objects.exists() and not Payment.objects.exists()


@pytest.fixture
def buyer(buyer_x: Person) -> Actor:
    assert buyer_x.actor
    return buyer_x.actor


@pytest.fixture
def seller(supplier_a: Person) -> Actor:
    assert supplier_a.actor
    return supplier_a.actor


def test_quote_picks_the_ladder_break_and_names_the_next_one(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL", stock=5000)]))

    line = services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=60)
    quote = services.cart_quote(actor=buyer)
    assert pricing(quote.lines[0]) == {
        "unit": 1250,
        "total": 75_000,
        "applied": 2,
        "next": 100,
        "next_unit": 1100,
        "to_next": 40,
        "problems": [],
    }

    services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=40)  # adds to the same line
    quote = services.cart_quote(actor=buyer)
    assert cart_of(buyer) == [("BOWL", "wholesale", 100)]
    assert pricing(quote.lines[0]) == {
        "unit": 1100,
        "total": 110_000,
        "applied": 100,
        "next": 1000,
        "next_unit": 980,
        "to_next": 900,
        "problems": [],
    }

    services.cart_set_quantity(actor=buyer, line_id=line.pk, quantity=1000)
    quote = services.cart_quote(actor=buyer)
    assert pricing(quote.lines[0]) == {
        "unit": 980,
        "total": 980_000,
        "applied": 1000,
        "next": None,
        "next_unit": None,
        "to_next": None,
        "problems": [],
    }
    assert quote.ok
    assert quote.total_minor == 980_000
    assert quote.groups[0].subtotal_minor == 980_000


def test_line_below_the_sku_moq_is_refused_at_checkout(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    bowl = sku_of(
        make_product(seller, category, skus=[sku("BOWL", moq=10, ladder=[(10, 500), (50, 450)])])
    )
    services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=5)

    quote = services.cart_quote(actor=buyer)

    assert pricing(quote.lines[0]) == {
        "unit": 500,
        "total": 2500,
        "applied": None,
        "next": 10,
        "next_unit": 500,
        "to_next": 5,
        "problems": ["The minimum order is 10 units (MOQ)."],
    }
    assert not quote.ok
    with pytest.raises(CartInvalid) as caught:
        payments.checkout_submit(
            actor=buyer,
            address_id=address_for(buyer).pk,
            payment_method="sandbox",
            quote_token=quote.token,
        )
    assert str(caught.value.message) == (
        "Some lines of the cart cannot be ordered as they are; see each line."
    )
    assert cart_of(buyer) == [("BOWL", "wholesale", 5)]
    assert nothing_ordered()
    bowl.refresh_from_db()
    assert (bowl.stock, bowl.reserved) == (100, 0)


def test_product_mixed_batch_lets_variants_reach_the_moq_together(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    ladder = [(10, 500), (20, 450)]
    product = make_product(
        seller,
        category,
        mixed_batch_moq=10,
        skus=[
            sku("RED", moq=10, ladder=ladder),
            sku("BLUE", moq=10, ladder=ladder, attributes={"colour": "Blue"}),
        ],
    )
    red, blue = sku_of(product, "RED"), sku_of(product, "BLUE")
    services.cart_add(actor=buyer, sku_id=red.pk, quantity=4)
    blue_line = services.cart_add(actor=buyer, sku_id=blue.pk, quantity=5)

    short = services.cart_quote(actor=buyer)
    problem = "Mixed batch: this product's variants together need at least 10 units (now 9)."
    assert [pricing(line) for line in short.lines] == [
        {
            "unit": 500,
            "total": 2000,
            "applied": None,
            "next": 10,
            "next_unit": 500,
            "to_next": 1,
            "problems": [problem],
        },
        {
            "unit": 500,
            "total": 2500,
            "applied": None,
            "next": 10,
            "next_unit": 500,
            "to_next": 1,
            "problems": [problem],
        },
    ]
    assert not short.ok

    # Together they reach it; each SKU's own MOQ of 10 is waived.
    services.cart_set_quantity(actor=buyer, line_id=blue_line.pk, quantity=6)
    reached = services.cart_quote(actor=buyer)
    assert [(line.unit_price_minor, line.total_minor, line.problems) for line in reached.lines] == [
        (500, 2000, []),
        (500, 3000, []),
    ]
    assert [line.units_to_next_break for line in reached.lines] == [10, 10]
    assert reached.ok

    # Priced on the product's total: 4 + 16 = 20 units reach the second break for both lines.
    services.cart_set_quantity(actor=buyer, line_id=blue_line.pk, quantity=16)
    cheaper = services.cart_quote(actor=buyer)
    assert [(line.unit_price_minor, line.total_minor) for line in cheaper.lines] == [
        (450, 1800),
        (450, 7200),
    ]
    assert cheaper.total_minor == 9000


def test_store_wide_mixed_batch_counts_every_item_of_the_supplier(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    SupplierProfile.objects.filter(organization_id=seller.organization_id).update(
        mixed_batch_moq=30
    )
    ladder = [(50, 400), (100, 350)]
    bowl = sku_of(
        make_product(
            seller, category, skus=[sku("BOWL", moq=50, ladder=ladder, sample_price_minor=200)]
        )
    )
    cup = sku_of(
        make_product(seller, category, title_en="Cup", skus=[sku("CUP", moq=50, ladder=ladder)])
    )
    services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=10)
    cup_line = services.cart_add(actor=buyer, sku_id=cup.pk, quantity=15)
    services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=1, kind="sample")

    short = services.cart_quote(actor=buyer)
    group = short.groups[0]
    assert group.problems == [
        "Mixed batch: this supplier ships orders of at least 30 units in all (now 25); any of "
        "its items count."
    ]
    assert (group.mixed_batch_moq, group.mixed_batch_units) == (30, 25)  # the sample is not counted
    assert [line.problems for line in short.lines] == [[], [], []]
    assert not short.ok

    services.cart_set_quantity(actor=buyer, line_id=cup_line.pk, quantity=20)
    reached = services.cart_quote(actor=buyer)
    assert reached.groups[0].problems == []
    assert reached.ok
    # Below the first break (the SKU MOQ is waived): the first break's price.
    assert [(line.kind, line.unit_price_minor, line.total_minor) for line in reached.lines] == [
        ("wholesale", 400, 4000),
        ("wholesale", 400, 8000),
        ("sample", 200, 200),
    ]


def test_stock_counts_wholesale_and_sample_lines_of_one_sku_together(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    bowl = sku_of(
        make_product(seller, category, skus=[sku("BOWL", stock=10, sample_price_minor=300)])
    )
    services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=9)
    services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=2, kind="sample")

    quote = services.cart_quote(actor=buyer)

    assert [line.problems for line in quote.lines] == [["Only 10 in stock."]] * 2
    assert not quote.ok
    with pytest.raises(CartInvalid):
        payments.checkout_submit(
            actor=buyer,
            address_id=address_for(buyer).pk,
            payment_method="sandbox",
            quote_token=quote.token,
        )
    assert cart_of(buyer) == [("BOWL", "wholesale", 9), ("BOWL", "sample", 2)]
    assert nothing_ordered()


def test_sold_out_sku_says_out_of_stock(buyer: Actor, seller: Actor, category: Category) -> None:
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL", stock=0)]))
    services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=2)

    assert services.cart_quote(actor=buyer).lines[0].problems == ["Out of stock."]


def test_sample_lines_use_the_sample_price_and_limit(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    bowl = sku_of(
        make_product(
            seller,
            category,
            skus=[sku("BOWL", moq=10, ladder=[(10, 500)], sample_price_minor=300, sample_limit=2)],
        )
    )
    line = services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=2, kind="sample")

    quote = services.cart_quote(actor=buyer)
    # No MOQ for samples, and the ladder does not apply.
    assert [(q.kind, q.unit_price_minor, q.total_minor, q.problems) for q in quote.lines] == [
        ("sample", 300, 600, [])
    ]
    assert quote.ok

    services.cart_set_quantity(actor=buyer, line_id=line.pk, quantity=3)
    quote = services.cart_quote(actor=buyer)
    assert quote.lines[0].problems == ["At most 2 samples per order."]
    assert not quote.ok


def test_sku_without_a_sample_price_is_refused_at_add(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL")]))

    with pytest.raises(ValidationFailed) as caught:
        services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=1, kind="sample")

    assert (caught.value.field, str(caught.value.message)) == (
        "kind",
        "This item is not offered as a sample.",
    )
    assert cart_of(buyer) == []


def test_unknown_kind_is_refused(buyer: Actor, seller: Actor, category: Category) -> None:
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL")]))

    with pytest.raises(ValidationFailed) as caught:
        services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=2, kind="dropship")

    assert (caught.value.field, str(caught.value.message)) == ("kind", "Unknown order kind.")
    assert cart_of(buyer) == []


@pytest.mark.parametrize("status", [ProductStatus.DRAFT, ProductStatus.ARCHIVED])
def test_unpublished_or_archived_product_cannot_be_added(
    buyer: Actor, seller: Actor, category: Category, status: str
) -> None:
    product = make_product(seller, category, skus=[sku("BOWL")])
    product_set_status(actor=seller, product_id=product.pk, status=status)

    with pytest.raises(NotFound):
        services.cart_add(actor=buyer, sku_id=sku_of(product).pk, quantity=2)

    assert cart_of(buyer) == []


def test_product_taken_off_sale_after_adding_blocks_checkout(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    product = make_product(seller, category, skus=[sku("BOWL")])
    services.cart_add(actor=buyer, sku_id=sku_of(product).pk, quantity=2)
    token = services.cart_quote(actor=buyer).token
    product_set_status(actor=seller, product_id=product.pk, status=ProductStatus.ARCHIVED)

    quote = services.cart_quote(actor=buyer)

    assert quote.lines[0].problems == ["This product is no longer on sale; remove it."]
    assert quote.token == token  # the price did not change, the product's state did
    with pytest.raises(CartInvalid):
        payments.checkout_submit(
            actor=buyer,
            address_id=address_for(buyer).pk,
            payment_method="sandbox",
            quote_token=token,
        )
    assert cart_of(buyer) == [("BOWL", "wholesale", 2)]
    assert nothing_ordered()
    assert Sku.objects.get(product=product).reserved == 0


def test_mixed_currencies_are_refused_at_checkout(
    buyer: Actor, seller: Actor, supplier_b: Person, category: Category
) -> None:
    assert supplier_b.actor
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL")]))
    cup = sku_of(
        make_product(supplier_b.actor, category, title_en="Cup", currency="USD", skus=[sku("CUP")])
    )
    services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=2)
    services.cart_add(actor=buyer, sku_id=cup.pk, quantity=2)

    quote = services.cart_quote(actor=buyer)
    message = (
        "The cart holds items priced in CNY, USD: check out one currency at a time (remove the "
        "others for now)."
    )
    assert quote.currencies == ["CNY", "USD"]
    assert quote.problems == [message]
    assert all(group.ok for group in quote.groups)
    assert not quote.ok

    with pytest.raises(CartInvalid) as caught:
        payments.checkout_submit(
            actor=buyer,
            address_id=address_for(buyer).pk,
            payment_method="sandbox",
            quote_token=quote.token,
        )
    assert str(caught.value.message) == message
    assert cart_of(buyer) == [("BOWL", "wholesale", 2), ("CUP", "wholesale", 2)]
    assert nothing_ordered()
    assert list(Sku.objects.order_by("pk").values_list("reserved", flat=True)) == [0, 0]


def test_a_cart_holds_at_most_200_lines(buyer: Actor, seller: Actor, category: Category) -> None:
    product = make_product(seller, category, skus=[sku("S-0")])
    extra = Sku.objects.bulk_create(
        Sku(product=product, code=f"S-{n}", stock=10, moq=1) for n in range(1, MAX_CART_LINES + 1)
    )
    PriceTier.objects.bulk_create(
        PriceTier(sku=s, min_quantity=1, unit_price_minor=100) for s in extra
    )
    CartLine.objects.bulk_create(
        CartLine(buyer_id=buyer.organization_id, sku=s, quantity=1) for s in extra[:MAX_CART_LINES]
    )
    last = extra[-1]
    CartLine.objects.filter(sku=last).delete()
    full = CartLine.objects.filter(buyer_id=buyer.organization_id).count()
    assert full == MAX_CART_LINES - 1
    services.cart_add(actor=buyer, sku_id=last.pk, quantity=1)  # the 200th line

    with pytest.raises(ValidationFailed) as caught:
        services.cart_add(actor=buyer, sku_id=sku_of(product, "S-0").pk, quantity=2)

    assert str(caught.value.message) == (
        "A cart holds at most 200 lines; check out or remove some first."
    )
    assert CartLine.objects.filter(buyer_id=buyer.organization_id).count() == MAX_CART_LINES
    # A line already in the cart still takes more units.
    services.cart_add(actor=buyer, sku_id=last.pk, quantity=4)
    assert CartLine.objects.get(sku=last).quantity == 5


@pytest.mark.parametrize("quantity", [0, -1, MAX_QUANTITY + 1])
def test_add_refuses_quantities_out_of_bounds(
    buyer: Actor, seller: Actor, category: Category, quantity: int
) -> None:
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL")]))

    with pytest.raises(ValidationFailed) as caught:
        services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=quantity)

    assert (caught.value.field, str(caught.value.message)) == (
        "quantity",
        "Enter a quantity from 1 to 1000000.",
    )
    assert cart_of(buyer) == []


def test_adding_to_a_line_may_not_pass_the_maximum(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL")]))
    services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=MAX_QUANTITY)

    with pytest.raises(ValidationFailed):
        services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=1)

    assert cart_of(buyer) == [("BOWL", "wholesale", MAX_QUANTITY)]


def test_set_quantity_bounds_and_zero_removes_the_line(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL")]))
    line = services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=5)

    for bad in (-1, MAX_QUANTITY + 1):
        with pytest.raises(ValidationFailed):
            services.cart_set_quantity(actor=buyer, line_id=line.pk, quantity=bad)
    assert cart_of(buyer) == [("BOWL", "wholesale", 5)]

    assert services.cart_set_quantity(actor=buyer, line_id=line.pk, quantity=0) is None
    assert cart_of(buyer) == []


def test_another_buyers_cart_line_is_not_found(
    buyer: Actor, buyer_y: Person, seller: Actor, category: Category
) -> None:
    assert buyer_y.actor
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL")]))
    line = services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=5)

    with pytest.raises(NotFound):
        services.cart_set_quantity(actor=buyer_y.actor, line_id=line.pk, quantity=9)
    with pytest.raises(NotFound):
        services.cart_set_quantity(actor=buyer_y.actor, line_id=line.pk, quantity=0)
    with pytest.raises(NotFound):
        services.cart_remove(actor=buyer_y.actor, line_id=line.pk)

    assert cart_of(buyer) == [("BOWL", "wholesale", 5)]
    assert services.cart_quote(actor=buyer_y.actor).groups == []

    services.cart_remove(actor=buyer, line_id=line.pk)
    assert cart_of(buyer) == []


@pytest.mark.parametrize("who", ["supplier_a", "supplier_b", "operator"])
def test_suppliers_and_the_operator_cannot_buy(
    who: str, cast: dict[str, Person], category: Category
) -> None:
    seller, actor = cast["supplier_a"].actor, cast[who].actor
    assert seller
    assert actor
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL")]))

    with pytest.raises(BuyersOnly) as caught:
        services.cart_add(actor=actor, sku_id=bowl.pk, quantity=2)
    assert str(caught.value.message) == "Switch to a buyer organization to buy."
    with pytest.raises(BuyersOnly):
        services.cart_quote(actor=actor)

    assert not CartLine.objects.exists()


# --- reorder -------------------------------------------------------------------------------------


def _past_order(buyer: Actor, seller: Actor, category: Category) -> tuple[Product, Order]:
    product = make_product(
        seller,
        category,
        skus=[
            sku("RED", stock=50, sample_price_minor=300),
            sku("BLUE", stock=50, attributes={"colour": "Blue"}),
        ],
    )
    submitted = place(buyer, [(sku_of(product, "RED"), 10), (sku_of(product, "BLUE"), 4)])
    order = Order.objects.get(pk=submitted.order_ids[0])
    services.order_cancel(actor=buyer, order_id=order.pk)  # its stock goes back
    return product, order


def test_reorder_puts_the_lines_back_at_the_same_quantities(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    product, order = _past_order(buyer, seller, category)
    services.cart_add(actor=buyer, sku_id=sku_of(product, "RED").pk, quantity=1, kind="sample")

    assert services.order_reorder(actor=buyer, order_id=order.pk) == (2, [])

    assert cart_of(buyer) == [
        ("RED", "sample", 1),
        ("RED", "wholesale", 10),
        ("BLUE", "wholesale", 4),
    ]
    # Twice: the quantities add up, as when adding by hand.
    services.order_reorder(actor=buyer, order_id=order.pk)
    assert cart_of(buyer)[1:] == [("RED", "wholesale", 20), ("BLUE", "wholesale", 8)]


def test_reorder_reports_a_deleted_sku_as_missing(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    product, order = _past_order(buyer, seller, category)
    product_update(
        actor=seller,
        product_id=product.pk,
        data=product_input(category, skus=[sku("RED", stock=50)]),
    )

    assert services.order_reorder(actor=buyer, order_id=order.pk) == (1, ["BLUE"])

    assert cart_of(buyer) == [("RED", "wholesale", 10)]


def test_reorder_of_an_order_with_nothing_left_on_sale_is_refused(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    product, order = _past_order(buyer, seller, category)
    product_set_status(actor=seller, product_id=product.pk, status=ProductStatus.ARCHIVED)

    with pytest.raises(Conflict) as caught:
        services.order_reorder(actor=buyer, order_id=order.pk)

    assert str(caught.value.message) == "None of this order's items is on sale any more."
    assert cart_of(buyer) == []


def test_another_buyers_order_cannot_be_reordered(
    buyer: Actor, buyer_y: Person, seller: Actor, category: Category
) -> None:
    assert buyer_y.actor
    _product, order = _past_order(buyer, seller, category)

    with pytest.raises(NotFound):
        services.order_reorder(actor=buyer_y.actor, order_id=order.pk)
    with pytest.raises(BuyersOnly):
        services.order_reorder(actor=seller, order_id=order.pk)

    assert not CartLine.objects.exists()
