import pytest

from huoyuan.catalogue.contracts import ProductStatus
from huoyuan.catalogue.errors import NotFound, PermissionDenied, ValidationFailed
from huoyuan.catalogue.models import PriceTier, Product, Sku
from huoyuan.catalogue.services import product_set_status, product_update
from huoyuan.catalogue.tests.factories import make_product, product_input, sku

pytestmark = pytest.mark.django_db


def test_creates_product_with_skus_ladders_and_summary(supplier_a, category):
    product = make_product(supplier_a.actor, category)
    assert product.supplier_id == supplier_a.organization.pk
    assert product.status == ProductStatus.PUBLISHED
    assert list(product.skus.values_list("code", flat=True)) == ["BOWL-RED", "BOWL-BLUE"]
    assert PriceTier.objects.filter(sku__product=product).count() == 6
    assert (product.price_min_minor, product.price_max_minor, product.moq_min) == (980, 1250, 2)
    assert product.stock_total == 200


def test_buyer_cannot_create_products(buyer_x, category):
    with pytest.raises(PermissionDenied):
        make_product(buyer_x.actor, category)
    assert Product.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title_zh_hans": "", "title_en": " ", "title_de": ""}, "title_en"),
        ({"skus": []}, "skus"),
        ({"skus": [sku("A", ladder=[(2, 1000), (10, 1200)])]}, "skus.0.ladder.1"),
        ({"skus": [sku("A", stock=-1)]}, "skus.0.stock"),
        ({"skus": [sku("A"), sku("a")]}, "skus.1.code"),
        ({"skus": [sku("bad code!")]}, "skus.0.code"),
        ({"mixed_batch_moq": 0}, "mixed_batch_moq"),
        ({"currency": "XXX"}, "currency"),
    ],
)
def test_rejects_invalid_product_and_writes_nothing(supplier_a, category, overrides, field):
    with pytest.raises(ValidationFailed) as caught:
        make_product(supplier_a.actor, category, **overrides)
    assert caught.value.field == field
    assert Product.objects.count() == 0
    assert Sku.objects.count() == 0


def test_update_replaces_skus_and_keeps_matching_codes(supplier_a, category):
    product = make_product(supplier_a.actor, category)
    red = product.skus.get(code="BOWL-RED")
    data = product_input(
        category, skus=[sku("BOWL-RED", stock=7, ladder=[(1, 2000)]), sku("BOWL-GREEN")]
    )
    product_update(actor=supplier_a.actor, product_id=product.pk, data=data)
    assert sorted(product.skus.values_list("code", flat=True)) == ["BOWL-GREEN", "BOWL-RED"]
    red.refresh_from_db()
    assert red.stock == 7
    assert list(red.tiers.values_list("min_quantity", "unit_price_minor")) == [(1, 2000)]


def test_another_suppliers_product_is_not_found_and_unchanged(supplier_a, supplier_b, category):
    product = make_product(supplier_a.actor, category)
    with pytest.raises(NotFound):
        product_update(
            actor=supplier_b.actor,
            product_id=product.pk,
            data=product_input(category, title_en="Hijacked"),
        )
    with pytest.raises(NotFound):
        product_set_status(
            actor=supplier_b.actor, product_id=product.pk, status=ProductStatus.ARCHIVED
        )
    product.refresh_from_db()
    assert product.title_en == "Wine-red ceramic bowl"
    assert product.status == ProductStatus.PUBLISHED


def test_status_follows_the_transition_table(supplier_a, category):
    product = make_product(supplier_a.actor, category, publish=False)
    assert product.published_at is None
    product = product_set_status(actor=supplier_a.actor, product_id=product.pk, status="published")
    assert product.published_at is not None
    product_set_status(actor=supplier_a.actor, product_id=product.pk, status="archived")
    with pytest.raises(ValidationFailed) as caught:
        product_set_status(actor=supplier_a.actor, product_id=product.pk, status="published")
    assert caught.value.field == "status"
    product.refresh_from_db()
    assert product.status == "archived"


def test_variant_and_specification_order_survives_the_database(supplier_a, category):
    product = make_product(
        supplier_a.actor,
        category,
        attributes={"Material": "Stoneware", "容量": "350ml", "Glaze": "Matte"},
        skus=[sku("BOWL-M", attributes={"colour": "Red", "size": "M"})],
    )
    product = Product.objects.get(pk=product.pk)
    assert list(product.attributes.items()) == [
        ("Material", "Stoneware"),
        ("容量", "350ml"),
        ("Glaze", "Matte"),
    ]
    assert product.skus.get().label == "Red / M"
