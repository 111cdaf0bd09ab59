"""The demo seed is deterministic: the same seed number gives the same marketplace."""

from __future__ import annotations

import pytest
from django.db import transaction

from huoyuan.catalogue.models import PriceTier
from huoyuan.demo.seed import seed

pytestmark = pytest.mark.django_db


def _fingerprint() -> list[tuple[object, ...]]:
    tiers = PriceTier.objects.select_related("sku__product__supplier", "sku__product__category")
    return sorted(
        (
            t.sku.product.supplier.name,
            t.sku.product.category.slug,
            t.sku.product.title_zh_hans,
            t.sku.product.title_en,
            t.sku.product.title_de,
            t.sku.code,
            tuple(sorted(t.sku.attributes.items())),
            t.sku.stock,
            t.min_quantity,
            t.unit_price_minor,
        )
        for t in tiers
    )


def _seeded(number: int) -> list[tuple[object, ...]]:
    with transaction.atomic():
        seed(seed=number, suppliers=3, products=12)
        found = _fingerprint()
        transaction.set_rollback(True)
    return found


def test_the_same_seed_gives_the_same_catalogue_and_another_seed_another():
    first, again, other = _seeded(7), _seeded(7), _seeded(8)
    assert len(first) >= 36  # 12 products, at least one SKU of three breaks each
    assert first == again
    assert first != other
