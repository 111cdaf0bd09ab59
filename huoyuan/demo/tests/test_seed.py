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


def test_the_demo_has_a_trading_history_with_balanced_books():
    from huoyuan.ledger.selectors import ledger_check
    from huoyuan.notifications.models import Notification
    from huoyuan.orders.models import Order, Review

    seed(seed=2026, suppliers=3, products=30)
    statuses = sorted(set(Order.objects.values_list("status", flat=True)))
    assert statuses == ["completed", "paid", "pending_payment", "shipped"]
    assert Order.objects.filter(payment_method="bank_transfer", status="pending_payment").exists()
    assert Review.objects.count() == Order.objects.filter(status="completed").count()
    assert ledger_check() == []
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
