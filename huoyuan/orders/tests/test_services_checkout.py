"""Checkout: the cart becomes one order per supplier and kind, all or nothing, at quoted prices."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from huoyuan.catalogue.models import Category, Sku
from huoyuan.catalogue.services import product_update
from huoyuan.catalogue.tests.factories import make_product, product_input, sku
from huoyuan.ledger.models import Transaction
from huoyuan.notifications.models import Notification
from huoyuan.orders import services
from huoyuan.orders.errors import (
    BuyersOnly,
    CartEmpty,
    CartInvalid,
    PricesChanged,
    ReservationLimit,
    ValidationFailed,
)
from huoyuan.orders.models import CartLine, Checkout, Order, OrderEvent, OrderLine, TradeSettings
from huoyuan.orders.tests.factories import address_for, capture, orders_of, place, sku_of
from huoyuan.payments import services as payments
from huoyuan.payments.models import Payment

if TYPE_CHECKING:
    from conftest import Person
    from huoyuan.accounts.contracts import Actor

pytestmark = pytest.mark.django_db


def world() -> dict[str, Any]:
    """Everything a refused checkout must leave as it was."""
    return {
        "cart": list(
            CartLine.objects.order_by("pk").values_list("buyer_id", "sku_id", "kind", "quantity")
        ),
        "skus": list(Sku.objects.order_by("pk").values_list("pk", "stock", "reserved", "sold")),
        "checkouts": Checkout.objects.count(),
        "orders": list(Order.objects.order_by("pk").values_list("pk", "status")),
        "lines": OrderLine.objects.count(),
        "events": OrderEvent.objects.count(),
        "payments": Payment.objects.count(),
        "notifications": Notification.objects.count(),
        "ledger": Transaction.objects.count(),
    }


def submit(actor: Actor, **overrides: Any) -> payments.Submitted:
    values: dict[str, Any] = {
        "actor": actor,
        "address_id": overrides.pop("address_id", None) or address_for(actor).pk,
        "payment_method": "sandbox",
        "quote_token": services.cart_quote(actor=actor).token,
    }
    values.update(overrides)
    return payments.checkout_submit(**values)


@pytest.fixture
def buyer(buyer_x: Person) -> Actor:
    assert buyer_x.actor
    return buyer_x.actor


@pytest.fixture
def seller(supplier_a: Person) -> Actor:
    assert supplier_a.actor
    return supplier_a.actor


@pytest.fixture
def other_seller(supplier_b: Person) -> Actor:
    assert supplier_b.actor
    return supplier_b.actor


def test_one_order_per_supplier_and_kind_with_samples_apart(
    buyer: Actor, seller: Actor, other_seller: Actor, category: Category
) -> None:
    bowls = make_product(
        seller,
        category,
        skus=[
            sku("RED", stock=50, sample_price_minor=300),
            sku("BLUE", stock=50, attributes={"colour": "Blue"}),
        ],
    )
    cups = make_product(other_seller, category, title_en="Cup", skus=[sku("CUP", stock=500)])
    red, blue, cup = sku_of(bowls, "RED"), sku_of(bowls, "BLUE"), sku_of(cups)

    submitted = place(buyer, [(red, 10), (cup, 120), (blue, 4), (red, 1, "sample")])

    found = [
        (
            o.supplier_id,
            o.kind,
            o.status,
            o.subtotal_minor,
            o.total_minor,
            [
                (
                    line.sku_code,
                    line.kind,
                    line.quantity,
                    line.unit_price_minor,
                    line.line_total_minor,
                )
                for line in o.lines.order_by("pk")
            ],
        )
        for o in orders_of(submitted)
    ]
    assert found == [
        (
            seller.organization_id,
            "wholesale",
            "pending_payment",
            14 * 1250,
            14 * 1250,
            [("RED", "wholesale", 10, 1250, 12500), ("BLUE", "wholesale", 4, 1250, 5000)],
        ),
        (
            seller.organization_id,
            "sample",
            "pending_payment",
            300,
            300,
            [("RED", "sample", 1, 300, 300)],
        ),
        (
            other_seller.organization_id,
            "wholesale",
            "pending_payment",
            120 * 1100,
            120 * 1100,
            [("CUP", "wholesale", 120, 1100, 132000)],
        ),
    ]
    checkout = Checkout.objects.get()
    assert (checkout.total_minor, checkout.currency, checkout.payment_method) == (
        17500 + 300 + 132000,
        "CNY",
        "sandbox",
    )
    assert (submitted.payment.amount_minor, submitted.payment.status) == (149800, "pending")
    levels = Sku.objects.filter(pk__in=[red.pk, blue.pk, cup.pk]).order_by("pk")
    assert list(levels.values_list("stock", "reserved")) == [(39, 11), (46, 4), (380, 120)]
    assert CartLine.objects.count() == 0
    events = list(
        OrderEvent.objects.order_by("pk").values_list(
            "from_status", "to_status", "party", "actor_id"
        )
    )
    assert events == [("", "pending_payment", "buyer", buyer.user_id)] * 3
    assert sorted(
        Notification.objects.values_list("organization_id", "verb", "params__number")
    ) == sorted((o.supplier_id, "order.placed", o.number) for o in orders_of(submitted))
    assert submitted.next_url == f"/pay/sandbox/{submitted.payment.reference}/"


def test_order_lines_keep_the_price_they_were_bought_at(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    product = make_product(seller, category, skus=[sku("BOWL", stock=50)])
    submitted = place(buyer, [(sku_of(product), 10)])

    product_update(
        actor=seller,
        product_id=product.pk,
        data=product_input(
            category, title_en="Renamed bowl", skus=[sku("BOWL", ladder=[(2, 9999)])]
        ),
    )

    order = orders_of(submitted)[0]
    line = order.lines.get()
    assert (line.product_title, line.sku_code, line.sku_label) == (
        "Wine-red ceramic bowl",
        "BOWL",
        "Black",
    )
    assert (line.unit_price_minor, line.line_total_minor, line.tier_min_quantity) == (
        1250,
        12500,
        2,
    )
    assert (order.subtotal_minor, order.total_minor) == (12500, 12500)


def test_notes_per_supplier_and_the_address_is_a_snapshot(
    buyer: Actor, seller: Actor, other_seller: Actor, category: Category
) -> None:
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL")]))
    cup = sku_of(make_product(other_seller, category, title_en="Cup", skus=[sku("CUP")]))
    address = address_for(buyer, district="西湖区", postal_code="310000", label="Shop")

    submitted = place(
        buyer,
        [(bowl, 2), (cup, 2)],
        address=address,
        notes={
            seller.organization_id: "  Pack in pairs, please.  ",
            other_seller.organization_id: "",
        },
    )
    services.address_update(
        actor=buyer,
        address_id=address.pk,
        data=services.AddressInput(
            recipient="李四", phone="123", city="宁波", street="中山路 1 号"
        ),
    )

    first, second = orders_of(submitted)
    assert (first.note, second.note) == ("Pack in pairs, please.", "")
    snapshot = {
        "recipient": "王小明",
        "phone": "+86 138 0000 0000",
        "country": "CN",
        "province": "浙江",
        "city": "杭州",
        "district": "西湖区",
        "street": "文三路 100 号",
        "postal_code": "310000",
    }
    assert first.address == snapshot
    assert second.address == snapshot


def test_a_note_over_500_characters_is_refused(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    services.cart_add(
        actor=buyer, sku_id=sku_of(make_product(seller, category, skus=[sku("B")])).pk, quantity=2
    )
    address = address_for(buyer)
    before = world()

    with pytest.raises(ValidationFailed) as caught:
        submit(buyer, address_id=address.pk, notes={seller.organization_id: "x" * 501})

    assert (caught.value.field, str(caught.value.message)) == (
        "notes",
        "Keep each note under 500 characters.",
    )
    assert world() == before


def test_another_buyers_address_is_refused(
    buyer: Actor, buyer_y: Person, seller: Actor, category: Category
) -> None:
    assert buyer_y.actor
    services.cart_add(
        actor=buyer, sku_id=sku_of(make_product(seller, category, skus=[sku("B")])).pk, quantity=2
    )
    theirs = address_for(buyer_y.actor)
    before = world()

    with pytest.raises(ValidationFailed) as caught:
        submit(buyer, address_id=theirs.pk)

    assert (caught.value.field, str(caught.value.message)) == (
        "address",
        "Choose a shipping address from your address book.",
    )
    assert world() == before


def test_all_or_nothing_when_one_sku_runs_short(
    buyer: Actor, seller: Actor, other_seller: Actor, category: Category
) -> None:
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL", stock=50)]))
    cup_product = make_product(other_seller, category, title_en="Cup", skus=[sku("CUP", stock=50)])
    services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=10)
    services.cart_add(actor=buyer, sku_id=sku_of(cup_product).pk, quantity=30)
    address = address_for(buyer)
    token = services.cart_quote(actor=buyer).token
    # The other supplier sells most of its stock elsewhere meanwhile.
    product_update(
        actor=other_seller,
        product_id=cup_product.pk,
        data=product_input(category, title_en="Cup", skus=[sku("CUP", stock=20)]),
    )
    before = world()

    with pytest.raises(CartInvalid):
        payments.checkout_submit(
            actor=buyer, address_id=address.pk, payment_method="sandbox", quote_token=token
        )

    assert world() == before
    bowl.refresh_from_db()
    assert (bowl.stock, bowl.reserved) == (50, 0)
    assert services.cart_quote(actor=buyer).lines[1].problems == ["Only 20 in stock."]


def test_a_stale_token_is_refused_and_nothing_changes(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    product = make_product(seller, category, skus=[sku("BOWL"), sku("CUP", attributes={})])
    services.cart_add(actor=buyer, sku_id=sku_of(product, "BOWL").pk, quantity=2)
    address = address_for(buyer)
    token = services.cart_quote(actor=buyer).token
    # Another member of the buyer organization adds to the shared cart in another tab.
    services.cart_add(actor=buyer, sku_id=sku_of(product, "CUP").pk, quantity=2)
    before = world()

    with pytest.raises(PricesChanged) as caught:
        payments.checkout_submit(
            actor=buyer, address_id=address.pk, payment_method="sandbox", quote_token=token
        )

    assert caught.value.code == "cart_changed"
    assert str(caught.value.message) == (
        "Prices or stock changed since you reviewed the cart. Check the new totals and place the "
        "order again."
    )
    assert world() == before


def test_a_price_change_between_quote_and_checkout_is_detected(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    product = make_product(seller, category, skus=[sku("BOWL")])
    services.cart_add(actor=buyer, sku_id=sku_of(product).pk, quantity=10)
    address = address_for(buyer)
    quote = services.cart_quote(actor=buyer)
    assert quote.total_minor == 12500
    product_update(
        actor=seller,
        product_id=product.pk,
        data=product_input(category, skus=[sku("BOWL", ladder=[(2, 1300)])]),
    )
    before = world()

    with pytest.raises(PricesChanged):
        payments.checkout_submit(
            actor=buyer, address_id=address.pk, payment_method="sandbox", quote_token=quote.token
        )

    assert world() == before
    # With the new quote the buyer pays the new price, and only that.
    fresh = services.cart_quote(actor=buyer)
    submitted = payments.checkout_submit(
        actor=buyer, address_id=address.pk, payment_method="sandbox", quote_token=fresh.token
    )
    assert submitted.payment.amount_minor == 13000


def test_an_empty_cart_cannot_be_checked_out(buyer: Actor) -> None:
    address = address_for(buyer)
    before = world()

    with pytest.raises(CartEmpty) as caught:
        payments.checkout_submit(
            actor=buyer, address_id=address.pk, payment_method="sandbox", quote_token="x"
        )

    assert str(caught.value.message) == "The cart is empty."
    assert world() == before


def test_an_unknown_payment_method_is_refused(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    services.cart_add(
        actor=buyer, sku_id=sku_of(make_product(seller, category, skus=[sku("B")])).pk, quantity=2
    )
    address = address_for(buyer)
    before = world()

    with pytest.raises(ValidationFailed) as caught:
        submit(buyer, address_id=address.pk, payment_method="cash")

    assert (caught.value.field, str(caught.value.message)) == (
        "payment_method",
        "Choose a payment method.",
    )
    assert world() == before


def test_suppliers_cannot_check_out(seller: Actor) -> None:
    before = world()

    with pytest.raises(BuyersOnly):
        services.checkout_place(
            actor=seller, address_id=1, payment_method="sandbox", quote_token="x"
        )

    assert world() == before


def test_a_buyer_may_hold_only_so_many_unpaid_orders(
    buyer: Actor, buyer_y: Person, seller: Actor, other_seller: Actor, category: Category
) -> None:
    assert buyer_y.actor
    TradeSettings.objects.update_or_create(pk=1, defaults={"max_unpaid_orders_per_buyer": 2})
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL")]))
    cup = sku_of(make_product(other_seller, category, title_en="Cup", skus=[sku("CUP")]))
    address = address_for(buyer)
    first = place(buyer, [(bowl, 2)], address=address)
    services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=2)
    services.cart_add(actor=buyer, sku_id=cup.pk, quantity=2)  # two more orders: three in all
    before = world()

    with pytest.raises(ReservationLimit) as caught:
        submit(buyer, address_id=address.pk)

    assert caught.value.code == "reservation_limit"
    assert str(caught.value.message) == (
        "You have 1 unpaid orders; pay or cancel some first (at most 2 may wait for payment at "
        "once)."
    )
    assert world() == before
    # Another buyer is not held back, and paying frees the first buyer's slot.
    place(buyer_y.actor, [(bowl, 2), (cup, 2)])
    capture(first.payment)
    assert len(submit(buyer, address_id=address.pk).order_ids) == 2


def test_a_buyer_may_hold_only_a_share_of_one_skus_stock_unpaid(
    buyer: Actor, buyer_y: Person, seller: Actor, category: Category
) -> None:
    assert buyer_y.actor
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL", stock=100)]))
    address = address_for(buyer)
    first = place(buyer, [(bowl, 30)], address=address)
    services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=25)
    before = world()

    with pytest.raises(ReservationLimit) as caught:
        submit(buyer, address_id=address.pk)

    assert caught.value.field == "quantity"
    assert str(caught.value.message) == (
        "BOWL: one buyer may hold at most 50 units of it unpaid (50% of its stock). Pay your open "
        "orders first or order fewer."
    )
    assert world() == before
    # 20 more stays within the cap (30 + 20 = 50 of 100 on hand).
    services.cart_set_quantity(
        actor=buyer, line_id=CartLine.objects.get(buyer_id=buyer.organization_id).pk, quantity=20
    )
    second = submit(buyer, address_id=address.pk)
    # Another buyer has a cap of its own; paid orders no longer count against it.
    place(buyer_y.actor, [(bowl, 25)])
    capture(first.payment)
    capture(second.payment)
    services.cart_add(actor=buyer, sku_id=bowl.pk, quantity=25)
    assert len(submit(buyer, address_id=address.pk).order_ids) == 1
    bowl.refresh_from_db()
    assert (bowl.stock, bowl.reserved) == (0, 100)


def test_the_share_cap_follows_the_trade_settings(
    buyer: Actor, seller: Actor, category: Category
) -> None:
    TradeSettings.objects.update_or_create(pk=1, defaults={"max_unpaid_share_percent": 100})
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL", stock=40)]))

    assert len(place(buyer, [(bowl, 40)]).order_ids) == 1


@pytest.mark.parametrize(
    ("method", "expected"),
    [("sandbox", timedelta(minutes=45)), ("bank_transfer", timedelta(hours=5))],
)
def test_unpaid_orders_expire_after_the_time_of_their_payment_method(
    buyer: Actor, seller: Actor, category: Category, method: str, expected: timedelta
) -> None:
    TradeSettings.objects.update_or_create(
        pk=1, defaults={"unpaid_expiry_minutes": 45, "bank_transfer_expiry_hours": 5}
    )
    bowl = sku_of(make_product(seller, category, skus=[sku("BOWL")]))
    start = timezone.now()

    order = orders_of(place(buyer, [(bowl, 2)], method=method))[0]

    assert order.expires_at is not None
    assert start + expected <= order.expires_at <= timezone.now() + expected
    assert order.payment_method == method
