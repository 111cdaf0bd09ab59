from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

# Sent on commit after products were created, edited, published or archived, with ``ids`` (a list
# of product ids): what search (a layer above) listens to, to keep its index in step.
products_changed = Signal()


class ProductStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all", _("Import nothing if any row is bad")
    VALID_ROWS = "valid", _("Import the valid rows, skip the bad ones")


@dataclass(frozen=True, slots=True)
class PriceBreak:
    min_quantity: int
    unit_price_minor: int


@dataclass(frozen=True, slots=True)
class PriceQuote:
    """What a quantity costs on a ladder, and how far the next cheaper break is."""

    quantity: int
    unit_price_minor: int
    total_minor: int
    applied: PriceBreak
    next_break: PriceBreak | None
    units_to_next_break: int | None


@dataclass(frozen=True, slots=True)
class SkuInput:
    code: str
    attributes: dict[str, str]
    stock: int
    moq: int
    ladder: list[PriceBreak]
    dropship_price_minor: int | None = None
    sample_price_minor: int | None = None
    sample_limit: int = 2


@dataclass(frozen=True, slots=True)
class ProductInput:
    """Everything a supplier states about a product; the same for the form, the API and imports."""

    category_id: int
    skus: list[SkuInput]
    title_zh_hans: str = ""
    title_en: str = ""
    title_de: str = ""
    description_zh_hans: str = ""
    description_en: str = ""
    description_de: str = ""
    attributes: dict[str, str] | None = None
    currency: str = "CNY"
    mixed_batch_moq: int | None = None
    lead_time_days: int = 3
    weight_g: int | None = None
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None
