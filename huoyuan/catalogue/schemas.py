from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Schema

from huoyuan.catalogue.contracts import PriceBreak, ProductInput, SkuInput
from huoyuan.catalogue.models import Category, Product, Sku
from huoyuan.core.errors import ValidationFailed
from huoyuan.core.money import MINOR_DIGITS, parse_amount
from huoyuan.core.schemas import StrictIn


class CategoryOut(Schema):
    id: int
    slug: str
    parent_id: int | None
    depth: int
    name: str
    name_zh_hans: str
    name_en: str
    name_de: str

    @staticmethod
    def resolve_name(obj: Category) -> str:
        return obj.localized("name")


class PriceBreakIn(StrictIn):
    min_quantity: int = Field(ge=1, le=10_000_000)
    unit_price: str = Field(description='Decimal string in the product currency, e.g. "12.50"')


class SkuIn(StrictIn):
    code: str = Field(max_length=64)
    attributes: dict[str, str] = Field(default_factory=dict)
    stock: int = Field(ge=0, le=1_000_000_000)
    moq: int = Field(1, ge=1, le=10_000_000)
    ladder: list[PriceBreakIn] = Field(min_length=1, max_length=10)
    dropship_price: str | None = None
    sample_price: str | None = None
    sample_limit: int = Field(2, ge=1, le=10_000, description="samples one order may hold")


class ProductIn(StrictIn):
    category: str = Field(description="category slug")
    title_zh_hans: str = ""
    title_en: str = ""
    title_de: str = ""
    description_zh_hans: str = ""
    description_en: str = ""
    description_de: str = ""
    attributes: dict[str, str] = Field(default_factory=dict)
    currency: str = "CNY"
    mixed_batch_moq: int | None = Field(None, ge=1)
    lead_time_days: int = Field(3, ge=0, le=365)
    weight_g: int | None = Field(None, ge=1)
    length_mm: int | None = Field(None, ge=1)
    width_mm: int | None = Field(None, ge=1)
    height_mm: int | None = Field(None, ge=1)
    skus: list[SkuIn] = Field(min_length=1, max_length=100)

    def to_input(self, *, category_id: int) -> ProductInput:
        if self.currency not in MINOR_DIGITS:
            raise ValidationFailed(_("Unknown currency."), field="currency")

        def money(value: str | None, field: str) -> int | None:
            return None if value in (None, "") else parse_amount(value, self.currency, field=field)

        skus = [
            SkuInput(
                code=s.code,
                attributes=s.attributes,
                stock=s.stock,
                moq=s.moq,
                ladder=[
                    PriceBreak(
                        t.min_quantity,
                        parse_amount(t.unit_price, self.currency, field=f"skus.{i}.ladder.{j}"),
                    )
                    for j, t in enumerate(s.ladder)
                ],
                dropship_price_minor=money(s.dropship_price, f"skus.{i}.dropship_price"),
                sample_price_minor=money(s.sample_price, f"skus.{i}.sample_price"),
                sample_limit=s.sample_limit,
            )
            for i, s in enumerate(self.skus)
        ]
        data: dict[str, Any] = self.model_dump(exclude={"category", "skus"})
        return ProductInput(category_id=category_id, skus=skus, **data)


class StatusIn(StrictIn):
    status: str


class PriceBreakOut(Schema):
    min_quantity: int
    unit_price_minor: int


class SkuOut(Schema):
    id: int
    code: str
    attributes: dict[str, str]
    stock: int
    moq: int
    dropship_price_minor: int | None
    sample_price_minor: int | None
    sample_limit: int
    ladder: list[PriceBreakOut]

    @staticmethod
    def resolve_ladder(obj: Sku) -> list[dict[str, int]]:
        return [
            {"min_quantity": t.min_quantity, "unit_price_minor": t.unit_price_minor}
            for t in obj.tiers.all()
        ]


class ImageOut(Schema):
    id: int
    url: str
    thumbnail_url: str
    width: int
    height: int

    @staticmethod
    def resolve_url(obj: Any) -> str:
        return str(obj.image.url)

    @staticmethod
    def resolve_thumbnail_url(obj: Any) -> str:
        return str(obj.thumbnail.url)


class SupplierCardOut(Schema):
    slug: str
    name: str
    verification_level: int
    belt: str | None


class ProductCardOut(Schema):
    id: int
    title: str
    category: str
    currency: str
    price_min_minor: int | None
    price_max_minor: int | None
    moq_min: int | None
    dropship_available: bool
    thumbnail_url: str | None
    supplier: SupplierCardOut
    published_at: datetime | None

    @staticmethod
    def resolve_title(obj: Product) -> str:
        return obj.localized("title")

    @staticmethod
    def resolve_category(obj: Product) -> str:
        return obj.category.slug

    @staticmethod
    def resolve_thumbnail_url(obj: Product) -> str | None:
        images = list(obj.images.all())
        return str(images[0].thumbnail.url) if images else None

    @staticmethod
    def resolve_supplier(obj: Product) -> dict[str, Any]:
        org = obj.supplier
        profile = getattr(org, "supplier_profile", None)
        belt = profile.belt if profile else None
        return {
            "slug": org.slug,
            "name": org.name,
            "verification_level": profile.verification_level if profile else 0,
            "belt": belt.slug if belt else None,
        }


class ProductOut(ProductCardOut):
    status: str
    title_zh_hans: str
    title_en: str
    title_de: str
    description: str
    description_zh_hans: str
    description_en: str
    description_de: str
    attributes: dict[str, str]
    mixed_batch_moq: int | None
    lead_time_days: int
    weight_g: int | None
    length_mm: int | None
    width_mm: int | None
    height_mm: int | None
    skus: list[SkuOut]
    images: list[ImageOut]

    @staticmethod
    def resolve_description(obj: Product) -> str:
        return obj.localized("description")


class PriceQuoteOut(Schema):
    sku: str
    quantity: int
    currency: str
    unit_price_minor: int
    total_minor: int
    applied_min_quantity: int
    next_break_min_quantity: int | None
    next_break_unit_price_minor: int | None
    units_to_next_break: int | None
    meets_moq: bool


class ImportJobOut(Schema):
    id: int
    status: str
    mode: str
    original_name: str
    total_rows: int
    processed_rows: int
    created_count: int
    errors: list[dict[str, Any]]
    message: str
    created_at: datetime
    finished_at: datetime | None
