"""Catalogue reads. Public reads see published products only; supplier reads are tenant-scoped."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from huoyuan.accounts.contracts import Actor
from huoyuan.catalogue.contracts import PriceBreak, ProductStatus
from huoyuan.catalogue.errors import NotFound
from huoyuan.catalogue.models import Category, ImportJob, PriceTier, Product, ProductImage, Sku

SORTS = {
    "newest": ["-published_at", "-pk"],
    "price_asc": ["price_min_minor", "pk"],
    "price_desc": ["-price_min_minor", "-pk"],
    "moq_asc": ["moq_min", "pk"],
}


@dataclass(frozen=True)
class ProductFilters:
    category: Category | None = None
    price_min_minor: int | None = None
    price_max_minor: int | None = None
    moq_max: int | None = None
    belt_slug: str | None = None
    verified_only: bool = False
    dropship_only: bool = False
    supplier_id: int | None = None
    sort: str = "newest"


def _card_related(qs: QuerySet[Product]) -> QuerySet[Product]:
    return qs.select_related("supplier__supplier_profile__belt", "category").prefetch_related(
        Prefetch("images", queryset=ProductImage.objects.order_by("position", "pk"))
    )


def category_roots() -> QuerySet[Category]:
    return Category.objects.filter(parent__isnull=True).prefetch_related(
        Prefetch("children", queryset=Category.objects.order_by("position"))
    )


def category_list() -> QuerySet[Category]:
    return Category.objects.order_by("path")


def category_get(*, slug: str) -> Category:
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise NotFound()
    return category


def category_ancestors(*, category: Category) -> list[Category]:
    parts = category.path.rstrip(".").split(".")
    paths = [".".join(parts[: i + 1]) + "." for i in range(len(parts))]
    return list(Category.objects.filter(path__in=paths).order_by("depth"))


def category_children(*, category: Category) -> QuerySet[Category]:
    return Category.objects.filter(parent=category).order_by("position")


def product_list_public(*, filters: ProductFilters) -> QuerySet[Product]:
    qs = Product.objects.filter(status=ProductStatus.PUBLISHED, supplier__is_active=True)
    if filters.category is not None:
        qs = qs.filter(category__path__startswith=filters.category.path)
    if filters.price_min_minor is not None:
        qs = qs.filter(price_min_minor__gte=filters.price_min_minor)
    if filters.price_max_minor is not None:
        qs = qs.filter(price_min_minor__lte=filters.price_max_minor)
    if filters.moq_max is not None:
        qs = qs.filter(moq_min__lte=filters.moq_max)
    if filters.belt_slug:
        qs = qs.filter(supplier__supplier_profile__belt__slug=filters.belt_slug)
    if filters.verified_only:
        qs = qs.filter(supplier__supplier_profile__verification_level__gte=1)
    if filters.dropship_only:
        qs = qs.filter(dropship_available=True)
    if filters.supplier_id is not None:
        qs = qs.filter(supplier_id=filters.supplier_id)
    return _card_related(qs).order_by(*SORTS.get(filters.sort, SORTS["newest"]))


def _detail_related(qs: QuerySet[Product]) -> QuerySet[Product]:
    return _card_related(qs).prefetch_related(
        Prefetch(
            "skus",
            queryset=Sku.objects.order_by("position", "pk").prefetch_related(
                Prefetch("tiers", queryset=PriceTier.objects.order_by("min_quantity"))
            ),
        )
    )


def product_get_public(*, product_id: int) -> Product:
    product = _detail_related(
        Product.objects.filter(
            pk=product_id, status=ProductStatus.PUBLISHED, supplier__is_active=True
        )
    ).first()
    if product is None:
        raise NotFound()
    return product


def product_list_for_supplier(
    *, actor: Actor, status: str | None = None, query: str = "", category: Category | None = None
) -> QuerySet[Product]:
    qs = Product.objects.filter(supplier_id=actor.organization_id)
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(
            Q(title_zh_hans__icontains=query)
            | Q(title_en__icontains=query)
            | Q(title_de__icontains=query)
            | Q(skus__code__iexact=query)
        ).distinct()
    if category is not None:
        qs = qs.filter(category__path__startswith=category.path)
    return (
        qs.select_related("category")
        .prefetch_related(Prefetch("images", queryset=ProductImage.objects.order_by("position")))
        .order_by("-updated_at", "-pk")
    )


def product_get_for_supplier(*, actor: Actor, product_id: int) -> Product:
    product = _detail_related(
        Product.objects.filter(pk=product_id, supplier_id=actor.organization_id)
    ).first()
    if product is None:
        raise NotFound()
    return product


def sku_ladder(sku: Sku) -> list[PriceBreak]:
    """The SKU's ladder from its prefetched tiers (no query when prefetched)."""
    return [PriceBreak(t.min_quantity, t.unit_price_minor) for t in sku.tiers.all()]


def import_job_list(*, actor: Actor) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(supplier_id=actor.organization_id).order_by("-created_at")


def import_job_get(*, actor: Actor, job_id: int) -> ImportJob:
    job = ImportJob.objects.filter(pk=job_id, supplier_id=actor.organization_id).first()
    if job is None:
        raise NotFound()
    return job


def skus_for_trade(*, sku_ids: list[int]) -> dict[int, Sku]:
    """SKUs with their product, supplier and ladder, for carts and checkout (three queries)."""
    skus = (
        Sku.objects.filter(pk__in=sku_ids)
        .select_related("product", "product__supplier", "product__supplier__supplier_profile")
        .only(*_TRADE_FIELDS)
        .prefetch_related("tiers")
    )
    return {s.pk: s for s in skus}


# What a quote reads, and no more: the descriptions (three languages of long text) and the
# supplier's profile would otherwise be read and turned into objects for every cart line.
_TRADE_FIELDS = (
    "code",
    "attributes",
    "stock",
    "reserved",
    "moq",
    "sample_limit",
    "sample_price_minor",
    "product__status",
    "product__currency",
    "product__mixed_batch_moq",
    *(f"product__{f.name}" for f in Product._meta.fields if f.name.startswith("title_")),
    "product__supplier__name",
    "product__supplier__slug",
    "product__supplier__is_active",
    "product__supplier__supplier_profile__mixed_batch_moq",
)


def sku_get_public(*, sku_id: int) -> Sku:
    """A SKU of a published product (what a buyer may put in a cart)."""
    found = (
        Sku.objects.filter(pk=sku_id, product__status=ProductStatus.PUBLISHED)
        .select_related("product")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def sku_stock_levels(*, sku_ids: list[int]) -> dict[int, tuple[int, int]]:
    """sku id -> (available stock, reserved units)."""
    return {
        pk: (stock, reserved)
        for pk, stock, reserved in Sku.objects.filter(pk__in=sku_ids).values_list(
            "pk", "stock", "reserved"
        )
    }
