"""Stock moves of the trade loop (reserve, release, consume) and the supplier's audited edits."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from huoyuan.catalogue.errors import Conflict
from huoyuan.catalogue.models import Category, Product, Sku
from huoyuan.catalogue.services import product_update
from huoyuan.catalogue.stock import (
    OutOfStock,
    StockInvariantBroken,
    stock_consume,
    stock_release,
    stock_reserve,
)
from huoyuan.catalogue.tests.factories import make_product, product_input, sku
from huoyuan.core.models import AuditEvent

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db


def levels(*skus: Sku) -> list[tuple[int, int, int]]:
    """(available, reserved, sold) of each SKU, fresh from the database."""
    rows = {
        s.pk: (s.stock, s.reserved, s.sold) for s in Sku.objects.filter(pk__in=[s.pk for s in skus])
    }
    return [rows[s.pk] for s in skus]


def stock_total(product: Product) -> int:
    return Product.objects.get(pk=product.pk).stock_total


@pytest.fixture
def bowl(supplier_a: Person, category: Category) -> Product:
    assert supplier_a.actor
    return make_product(
        supplier_a.actor,
        category,
        skus=[sku("RED", stock=10), sku("BLUE", stock=5, attributes={"colour": "Blue"})],
    )


def two(product: Product) -> tuple[Sku, Sku]:
    red, blue = Sku.objects.filter(product=product).order_by("position")
    return red, blue


def test_reserve_moves_available_units_to_reserved_and_refreshes_the_product_total(
    bowl: Product,
) -> None:
    red, blue = two(bowl)
    assert stock_total(bowl) == 15

    stock_reserve(quantities={red.pk: 4, blue.pk: 5})

    assert levels(red, blue) == [(6, 4, 0), (0, 5, 0)]
    assert stock_total(bowl) == 6


def test_reserve_is_all_or_nothing_and_names_every_short_sku(bowl: Product) -> None:
    red, blue = two(bowl)

    with pytest.raises(OutOfStock) as caught:
        stock_reserve(quantities={red.pk: 11, blue.pk: 5})
    assert caught.value.short == {red.pk: 10}
    assert caught.value.code == "out_of_stock"
    assert str(caught.value.message) == "Some items no longer have enough stock."

    with pytest.raises(OutOfStock) as caught:
        stock_reserve(quantities={red.pk: 11, blue.pk: 6})
    assert caught.value.short == {red.pk: 10, blue.pk: 5}

    assert levels(red, blue) == [(10, 0, 0), (5, 0, 0)]
    assert stock_total(bowl) == 15


def test_reserving_a_deleted_sku_is_out_of_stock_with_none_left(bowl: Product) -> None:
    red, _blue = two(bowl)

    with pytest.raises(OutOfStock) as caught:
        stock_reserve(quantities={red.pk: 1, 999_999: 1})

    assert caught.value.short == {999_999: 0}
    assert levels(red) == [(10, 0, 0)]


def test_release_returns_reserved_units_and_refuses_more_than_reserved(bowl: Product) -> None:
    red, blue = two(bowl)
    stock_reserve(quantities={red.pk: 4, blue.pk: 2})

    stock_release(quantities={red.pk: 3})
    assert levels(red, blue) == [(9, 1, 0), (3, 2, 0)]
    assert stock_total(bowl) == 12

    with pytest.raises(StockInvariantBroken):
        stock_release(quantities={red.pk: 1, blue.pk: 3})
    assert levels(red, blue) == [(9, 1, 0), (3, 2, 0)]
    assert stock_total(bowl) == 12


def test_consume_moves_reserved_units_to_sold_and_refuses_more_than_reserved(
    bowl: Product,
) -> None:
    red, blue = two(bowl)
    stock_reserve(quantities={red.pk: 4, blue.pk: 2})

    stock_consume(quantities={red.pk: 4, blue.pk: 1})
    assert levels(red, blue) == [(6, 0, 4), (3, 1, 1)]

    with pytest.raises(StockInvariantBroken):
        stock_consume(quantities={red.pk: 1, blue.pk: 1})
    assert levels(red, blue) == [(6, 0, 4), (3, 1, 1)]
    assert stock_total(bowl) == 9


def test_moves_refuse_negative_quantities_and_ignore_zero(bowl: Product) -> None:
    red, blue = two(bowl)

    for move in (stock_reserve, stock_release, stock_consume):
        with pytest.raises(ValueError, match="positive quantities"):
            move(quantities={red.pk: -1})
        move(quantities={blue.pk: 0})

    assert levels(red, blue) == [(10, 0, 0), (5, 0, 0)]


def test_release_and_consume_skip_a_sku_deleted_meanwhile(bowl: Product) -> None:
    red, _blue = two(bowl)
    stock_reserve(quantities={red.pk: 2})

    stock_release(quantities={red.pk: 1, 999_999: 3})
    stock_consume(quantities={red.pk: 1, 999_999: 3})

    assert levels(red) == [(9, 0, 1)]


def test_supplier_stock_and_price_edits_write_audit_rows(supplier_a: Person, bowl: Product) -> None:
    assert supplier_a.actor
    assert supplier_a.user
    red, blue = two(bowl)
    created = list(
        AuditEvent.objects.filter(action="sku.stock_price_set")
        .order_by("pk")
        .values_list("object_id", "before", "after")
    )
    assert created == [
        (str(red.pk), None, {"stock": 10, "ladder": [[2, 1250], [100, 1100], [1000, 980]]}),
        (str(blue.pk), None, {"stock": 5, "ladder": [[2, 1250], [100, 1100], [1000, 980]]}),
    ]
    first_id = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()

    product_update(
        actor=supplier_a.actor,
        product_id=bowl.pk,
        data=product_input(
            bowl.category,
            skus=[
                sku("RED", stock=7),  # stock edited
                sku("BLUE", stock=5, attributes={"colour": "Blue"}, ladder=[(2, 1200)]),
            ],
        ),
    )

    edits = AuditEvent.objects.filter(pk__gt=first_id).order_by("pk")
    assert [
        (e.action, e.object_id, e.actor_id, e.organization_id, e.before, e.after) for e in edits
    ] == [
        (
            "sku.stock_price_set",
            str(red.pk),
            supplier_a.user.pk,
            supplier_a.organization.pk,
            {"stock": 10, "ladder": [[2, 1250], [100, 1100], [1000, 980]]},
            {"stock": 7, "ladder": [[2, 1250], [100, 1100], [1000, 980]]},
        ),
        (
            "sku.stock_price_set",
            str(blue.pk),
            supplier_a.user.pk,
            supplier_a.organization.pk,
            {"stock": 5, "ladder": [[2, 1250], [100, 1100], [1000, 980]]},
            {"stock": 5, "ladder": [[2, 1200]]},
        ),
    ]


def test_an_unchanged_save_writes_no_audit_row(supplier_a: Person, bowl: Product) -> None:
    assert supplier_a.actor
    before = AuditEvent.objects.count()

    product_update(
        actor=supplier_a.actor,
        product_id=bowl.pk,
        data=product_input(
            bowl.category,
            skus=[sku("RED", stock=10), sku("BLUE", stock=5, attributes={"colour": "Blue"})],
        ),
    )

    assert AuditEvent.objects.count() == before


def test_a_sku_with_reserved_units_cannot_be_removed(supplier_a: Person, bowl: Product) -> None:
    assert supplier_a.actor
    red, blue = two(bowl)
    stock_reserve(quantities={blue.pk: 2})
    audits = AuditEvent.objects.count()

    with pytest.raises(Conflict) as caught:
        product_update(
            actor=supplier_a.actor,
            product_id=bowl.pk,
            data=product_input(bowl.category, skus=[sku("RED", stock=99)]),
        )

    assert caught.value.field == "skus"
    assert str(caught.value.message) == (
        "SKU BLUE has units in open orders and cannot be removed; set its stock to 0 instead."
    )
    assert levels(red, blue) == [(10, 0, 0), (3, 2, 0)]
    assert AuditEvent.objects.count() == audits

    # Without reservations it goes.
    stock_release(quantities={blue.pk: 2})
    product_update(
        actor=supplier_a.actor,
        product_id=bowl.pk,
        data=product_input(bowl.category, skus=[sku("RED", stock=10)]),
    )
    assert list(Sku.objects.filter(product=bowl).values_list("code", flat=True)) == ["RED"]


def test_editing_stock_keeps_reserved_and_sold_units(supplier_a: Person, bowl: Product) -> None:
    assert supplier_a.actor
    red, blue = two(bowl)
    stock_reserve(quantities={red.pk: 4})
    stock_consume(quantities={red.pk: 1})

    product_update(
        actor=supplier_a.actor,
        product_id=bowl.pk,
        data=product_input(
            bowl.category,
            skus=[sku("RED", stock=20), sku("BLUE", stock=5, attributes={"colour": "Blue"})],
        ),
    )

    assert levels(red, blue) == [(20, 3, 1), (5, 0, 0)]
    assert stock_total(bowl) == 25


def test_sample_limit_and_sample_price_are_saved(supplier_a: Person, category: Category) -> None:
    assert supplier_a.actor
    product = make_product(
        supplier_a.actor,
        category,
        skus=[sku("S", sample_price_minor=300, sample_limit=5)],
    )

    saved = Sku.objects.get(product=product)
    assert (saved.sample_price_minor, saved.sample_limit) == (300, 5)

    product_update(
        actor=supplier_a.actor,
        product_id=product.pk,
        data=product_input(category, skus=[sku("S", sample_price_minor=350, sample_limit=1)]),
    )
    saved.refresh_from_db()
    assert (saved.sample_price_minor, saved.sample_limit) == (350, 1)
