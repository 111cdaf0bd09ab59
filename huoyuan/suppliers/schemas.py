from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from huoyuan.core.schemas import StrictIn
from huoyuan.suppliers.models import FactoryPhoto, IndustrialBelt, SupplierProfile


class BeltOut(Schema):
    id: int
    slug: str
    name: str
    name_zh_hans: str
    name_en: str
    name_de: str
    province: str
    city: str

    @staticmethod
    def resolve_name(obj: IndustrialBelt) -> str:
        return obj.localized("name")


class SupplierOut(Schema):
    slug: str
    name: str
    business_type: str
    belt: str | None
    province: str
    city: str
    tagline: str
    description: str
    founded_year: int | None
    floor_area_m2: int | None
    staff_count: int | None
    monthly_capacity: str
    oem: bool
    odm: bool
    certifications: list[str]
    patents_count: int
    mixed_batch_moq: int | None
    verification_level: int
    rating_average: float | None
    rating_count: int
    logo_url: str | None

    @staticmethod
    def resolve_slug(obj: SupplierProfile) -> str:
        return obj.organization.slug

    @staticmethod
    def resolve_name(obj: SupplierProfile) -> str:
        return obj.organization.name

    @staticmethod
    def resolve_belt(obj: SupplierProfile) -> str | None:
        return obj.belt.slug if obj.belt else None

    @staticmethod
    def resolve_logo_url(obj: SupplierProfile) -> str | None:
        return obj.logo.url if obj.logo else None


class SupplierProfileIn(StrictIn):
    business_type: str | None = None
    belt: str | None = Field(None, description="industrial belt slug; empty string clears it")
    tagline: str | None = Field(None, max_length=140)
    description: str | None = Field(None, max_length=5000)
    province: str | None = Field(None, max_length=40)
    city: str | None = Field(None, max_length=40)
    founded_year: int | None = None
    floor_area_m2: int | None = Field(None, ge=0)
    staff_count: int | None = Field(None, ge=0)
    monthly_capacity: str | None = Field(None, max_length=80)
    oem: bool | None = None
    odm: bool | None = None
    certifications: list[str] | None = None
    patents_count: int | None = Field(None, ge=0)
    mixed_batch_moq: int | None = Field(
        None, description="混批: units an order must hold across all your SKUs; null for none"
    )


class VerificationIn(StrictIn):
    level: int


class VerificationQueueOut(Schema):
    organization_id: int
    slug: str
    name: str
    verification_level: int
    verification_requested_at: datetime | None

    @staticmethod
    def resolve_slug(obj: SupplierProfile) -> str:
        return obj.organization.slug

    @staticmethod
    def resolve_name(obj: SupplierProfile) -> str:
        return obj.organization.name


class FactoryPhotoOut(Schema):
    id: int
    caption: str
    url: str
    thumbnail_url: str

    @staticmethod
    def resolve_url(obj: FactoryPhoto) -> str:
        return str(obj.image.url)

    @staticmethod
    def resolve_thumbnail_url(obj: FactoryPhoto) -> str:
        return str(obj.thumbnail.url)
