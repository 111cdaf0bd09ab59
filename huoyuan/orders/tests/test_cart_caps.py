"""The cart shows the fair-reservation cap before checkout refuses it, in the same words."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from huoyuan.catalogue.models import Category
from huoyuan.catalogue.tests.factories import make_product, sku
from huoyuan.orders import services
from huoyuan.orders.errors import ReservationLimit
from huoyuan.orders.models import Order
from huoyuan.orders.tests.factories import address_for, sku_of
from huoyuan.payments import services as payments

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db
CAP_TEXT = (
    "BOWL: one buyer may hold at most 10 units of it unpaid (50% of its stock). "
    "Pay your open orders first or order fewer."
)


def test_cart_line_over_the_share_cap_names_it_and_checkout_refuses_the_same(
    supplier_a: Person, buyer_x: Person, category: Category
) -> None:
    assert supplier_a.actor is not None
    assert buyer_x.actor is not None
    bowl = make_product(supplier_a.actor, category, skus=[sku("BOWL", stock=20)])
    services.cart_add(actor=buyer_x.actor, sku_id=sku_of(bowl).pk, quantity=11)
    quote = services.cart_quote(actor=buyer_x.actor)
    assert quote.lines[0].problems == [CAP_TEXT]
    assert not quote.ok
    with pytest.raises(ReservationLimit) as refused:
        payments.checkout_submit(
            actor=buyer_x.actor,
            address_id=address_for(buyer_x.actor).pk,
            payment_method="sandbox",
            quote_token=quote.token,
        )
    assert str(refused.value.message) == CAP_TEXT
    assert not Order.objects.exists()


def test_cart_line_at_the_share_cap_is_fine(
    supplier_a: Person, buyer_x: Person, category: Category
) -> None:
    assert supplier_a.actor is not None
    assert buyer_x.actor is not None
    bowl = make_product(supplier_a.actor, category, skus=[sku("BOWL", stock=20)])
    services.cart_add(actor=buyer_x.actor, sku_id=sku_of(bowl).pk, quantity=10)
    assert services.cart_quote(actor=buyer_x.actor).lines[0].problems == []
