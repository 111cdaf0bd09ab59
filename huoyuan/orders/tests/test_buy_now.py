"""Buy now (立即订购): one SKU to an order past the cart, with the cart's quote, caps and stock."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from huoyuan.catalogue.models import Category, Sku
from huoyuan.catalogue.services import product_update
from huoyuan.catalogue.tests.factories import make_product, product_input, sku
from huoyuan.core.tests.concurrency import run_at_once, skip_unless_concurrent_database
from huoyuan.orders import services
from huoyuan.orders.errors import (
    BuyersOnly,
    CartInvalid,
    NotFound,
    PricesChanged,
    ReservationLimit,
    ValidationFailed,
)
from huoyuan.orders.models import CartLine, Order, OrderLine, TradeSettings
from huoyuan.orders.tests.factories import address_for, capture, sku_of
from huoyuan.orders.tests.test_services_checkout import world
from huoyuan.payments import services as payments
from huoyuan.payments.models import Payment

if TYPE_CHECKING:
    from conftest import Person
    from huoyuan.accounts.contracts import Actor

pytestmark = pytest.mark.django_db


def buy(actor: Actor, item: Sku, quantity: int, **overrides: Any) -> payments.Submitted:
    kind = overrides.pop("kind", "wholesale")
    values: dict[str, Any] = {
        "actor": actor,
        "sku_id": item.pk,
        "quantity": quantity,
        "kind": kind,
        "address_id": address_for(actor).pk,
        "payment_method": "sandbox",
        "quote_token": services.buy_now_quote(
            actor=actor, sku_id=item.pk, quantity=quantity, kind=kind
        ).token,
    }
    values.update(overrides)
    return payments.buy_now_submit(**values)


@pytest.fixture
def buyer(buyer_x: Person) -> Actor:
    assert buyer_x.actor
    return buyer_x.actor


@pytest.fixture
def seller(supplier_a: Person) -> Actor:
    assert supplier_a.actor
    return supplier_a.actor


def test_buy_now_places_one_order_and_payment_and_leaves_the_cart_alone(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL", stock=500)]))
    cup = sku_of(make_product(seller, category, title_en="Cup", skus=[sku("CUP", stock=50)]))
    services.cart_add(actor=buyer, sku_id=cup.pk, quantity=5)

    quote = services.buy_now_quote(actor=buyer, sku_id=bowl.pk, quantity=120, kind="wholesale")
    line = quote.lines[0]
    assert (line.unit_price_minor, line.applied_min_quantity) == (1100, 100)
    assert (line.next_break_min_quantity, line.units_to_next_break) == (1000, 880)
    submitted = buy(buyer, bowl, 120, note="  fragile  ")

    order = Order.objects.get(pk__in=submitted.order_ids)
    assert (order.status, order.total_minor, order.note) == ("pending_payment", 132000, "fragile")
    assert list(OrderLine.objects.filter(order=order).values_list("sku_id", "quantity")) == [
        (bowl.pk, 120)
    ]
    assert submitted.payment.amount_minor == 132000
    assert list(submitted.payment.covers.values_list("order_id", flat=True)) == [order.pk]
    bowl.refresh_from_db()
    assert (bowl.stock, bowl.reserved) == (380, 120)
    # The cart the buyer was filling is untouched.
    assert list(CartLine.objects.values_list("sku_id", "quantity")) == [(cup.pk, 5)]
    capture(submitted.payment)
    order.refresh_from_db()
    assert (order.status, order.paid_minor) == ("paid", 132000)


def test_a_sample_bought_now_uses_the_sample_price_and_limit(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    bowl = sku_of(
        make_product(
            seller, category, skus=[sku("BOWL", moq=50, sample_price_minor=300, sample_limit=2)]
        )
    )
    submitted = buy(buyer, bowl, 2, kind="sample")
    order = Order.objects.get(pk__in=submitted.order_ids)
    assert (order.kind, order.total_minor) == ("sample", 600)
    with pytest.raises(CartInvalid, match="At most 2 samples"):
        buy(buyer, bowl, 3, kind="sample")


def test_a_price_change_after_the_quote_is_shown_before_anything_is_charged(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    product = make_product(seller, category, skus=[sku("BOWL", stock=500)])
    bowl = sku_of(product)
    token = services.buy_now_quote(actor=buyer, sku_id=bowl.pk, quantity=10, kind="wholesale").token
    product_update(
        actor=seller,
        product_id=product.pk,
        data=product_input(category, skus=[sku("BOWL", stock=500, ladder=[(2, 1300)])]),
    )
    before = world()
    with pytest.raises(PricesChanged):
        buy(buyer, sku_of(product), 10, quote_token=token)
    assert world() == before
    again = services.buy_now_quote(actor=buyer, sku_id=bowl.pk, quantity=10, kind="wholesale")
    assert again.token != token
    assert again.lines[0].unit_price_minor == 1300


def test_refusals_change_nothing(
    buyer: Actor, seller: Actor, buyer_y: Person, category: Category
) -> None:
    assert buyer_y.actor is not None
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL", stock=30, moq=10)]))
    draft = sku_of(make_product(seller, category, publish=False, skus=[sku("DRAFT")]))
    before = world()
    with pytest.raises(CartInvalid, match="minimum order is 10"):
        buy(buyer, bowl, 5)
    with pytest.raises(CartInvalid, match="Only 30 in stock"):
        buy(buyer, bowl, 31)
    with pytest.raises(NotFound):
        services.buy_now_quote(actor=buyer, sku_id=draft.pk, quantity=10, kind="wholesale")
    with pytest.raises(NotFound):
        buy(buyer, draft, 10, quote_token="x")
    with pytest.raises(NotFound):
        buy(buyer, bowl, 10, sku_id=10**9, quote_token="x")
    with pytest.raises(ValidationFailed, match="quantity from 1"):
        buy(buyer, bowl, 0, quote_token="x")
    with pytest.raises(ValidationFailed, match="Unknown order kind"):
        buy(buyer, bowl, 10, kind="gift", quote_token="x")
    with pytest.raises(ValidationFailed, match="payment method"):
        buy(buyer, bowl, 10, payment_method="cash")
    with pytest.raises(ValidationFailed, match="under 500 characters"):
        buy(buyer, bowl, 10, note="x" * 501)
    with pytest.raises(ValidationFailed, match="address book"):
        buy(buyer, bowl, 10, address_id=address_for(buyer_y.actor).pk)
    with pytest.raises(BuyersOnly):
        services.buy_now_quote(actor=seller, sku_id=bowl.pk, quantity=10, kind="wholesale")
    assert world() == before


def test_buy_now_orders_count_against_the_unpaid_caps(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    TradeSettings.objects.update_or_create(pk=1, defaults={"max_unpaid_orders_per_buyer": 2})
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL", stock=5000)]))
    buy(buyer, bowl, 10)
    services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=10)
    payments.checkout_submit(
        actor=buyer,
        address_id=address_for(buyer).pk,
        payment_method="sandbox",
        quote_token=services.cart_quote(actor=buyer).token,
    )
    with pytest.raises(ReservationLimit, match="2 unpaid orders"):
        buy(buyer, bowl, 10)
    TradeSettings.objects.filter(pk=1).update(
        max_unpaid_orders_per_buyer=50, max_unpaid_share_percent=10
    )
    # 20 units held unpaid already; 10% of 5,000 is 500.
    fits = services.buy_now_quote(actor=buyer, sku_id=bowl.pk, quantity=480, kind="wholesale")
    assert fits.lines[0].problems == []
    quote = services.buy_now_quote(actor=buyer, sku_id=bowl.pk, quantity=481, kind="wholesale")
    assert any("at most 500 units" in p for p in quote.lines[0].problems)
    with pytest.raises(ReservationLimit, match="at most 500 units"):
        buy(buyer, bowl, 481)


@pytest.mark.django_db(transaction=True)
def test_one_buyers_buy_now_placements_at_the_same_moment_respect_the_unpaid_cap(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    """The buyer's row is locked for the placement, so the cap counts committed orders only."""
    skip_unless_concurrent_database()
    TradeSettings.objects.update_or_create(
        pk=1, defaults={"max_unpaid_orders_per_buyer": 3, "max_unpaid_share_percent": 100}
    )
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL", stock=5000)]))
    # A different address each: the address row's lock alone would not serialize them.
    addresses = [address_for(buyer, street=f"文三路 {n} 号").pk for n in range(8)]
    token = services.buy_now_quote(actor=buyer, sku_id=bowl.pk, quantity=10, kind="wholesale").token

    def attempt(address: int) -> str:
        try:
            payments.buy_now_submit(
                actor=buyer,
                sku_id=bowl.pk,
                quantity=10,
                kind="wholesale",
                address_id=address,
                payment_method="sandbox",
                quote_token=token,
            )
        except ReservationLimit:
            return "refused"
        return "placed"

    results = run_at_once([lambda a=a: attempt(a) for a in addresses], timeout=120)
    assert sorted(results) == ["placed"] * 3 + ["refused"] * 5
    assert Order.objects.filter(buyer_id=buyer.organization_id).count() == 3
    assert Payment.objects.count() == 3
    bowl.refresh_from_db()
    assert (bowl.stock, bowl.reserved) == (4970, 30)
