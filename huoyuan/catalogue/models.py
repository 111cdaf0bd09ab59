from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from huoyuan.catalogue.contracts import ImportMode, ImportStatus, ProductStatus
from huoyuan.core.fields import OrderedPairsField
from huoyuan.core.i18n import LocalizedFieldsMixin


class Category(LocalizedFieldsMixin, models.Model):
    """A node of the category tree. ``path`` (e.g. ``0003.0012.``) makes a subtree one prefix."""

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    slug = models.SlugField(max_length=80, unique=True)
    name_zh_hans = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    name_de = models.CharField(_("name (German)"), max_length=80)
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["path"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.localized("name")


class Product(LocalizedFieldsMixin, models.Model):
    supplier_id: int
    supplier = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="products"
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    status = models.CharField(
        _("status"), max_length=10, choices=ProductStatus.choices, default=ProductStatus.DRAFT
    )
    title_zh_hans = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    title_de = models.CharField(_("title (German)"), max_length=200, blank=True)
    description_zh_hans = models.TextField(_("description (Chinese)"), blank=True, max_length=20000)
    description_en = models.TextField(_("description (English)"), blank=True, max_length=20000)
    description_de = models.TextField(_("description (German)"), blank=True, max_length=20000)
    attributes = OrderedPairsField(_("attributes"), default=dict, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    mixed_batch_moq = models.PositiveIntegerField(_("mixed-batch MOQ"), null=True, blank=True)
    lead_time_days = models.PositiveSmallIntegerField(_("lead time (days)"), default=3)
    weight_g = models.PositiveIntegerField(_("weight (g)"), null=True, blank=True)
    length_mm = models.PositiveIntegerField(_("length (mm)"), null=True, blank=True)
    width_mm = models.PositiveIntegerField(_("width (mm)"), null=True, blank=True)
    height_mm = models.PositiveIntegerField(_("height (mm)"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Summaries of the SKUs, kept by the catalogue services so lists filter and sort in one query.
    price_min_minor = models.BigIntegerField(null=True, blank=True, db_index=True)
    price_max_minor = models.BigIntegerField(null=True, blank=True)
    moq_min = models.PositiveIntegerField(null=True, blank=True)
    dropship_available = models.BooleanField(default=False)
    stock_total = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "category", "-published_at"]),
            models.Index(fields=["supplier", "status", "-updated_at"]),
            models.Index(fields=["status", "price_min_minor"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(title_zh_hans="", title_en="", title_de=""),
                name="product_has_a_title",
            ),
            models.CheckConstraint(
                condition=Q(mixed_batch_moq__isnull=True) | Q(mixed_batch_moq__gte=1),
                name="product_mixed_batch_moq_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.localized("title")


class Sku(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="skus")
    code = models.CharField(_("SKU code"), max_length=64)
    attributes = OrderedPairsField(_("variant"), default=dict, blank=True)
    # ``stock`` is what may still be ordered; units in unpaid or unshipped orders sit in
    # ``reserved`` and shipped units in ``sold``: stock + reserved + sold only moves when the
    # supplier edits stock (audited). The trade loop moves them with conditional F() updates.
    stock = models.PositiveIntegerField(_("stock"), default=0)
    reserved = models.PositiveIntegerField(_("reserved"), default=0)
    sold = models.PositiveBigIntegerField(_("sold"), default=0)
    moq = models.PositiveIntegerField(_("MOQ"), default=1)
    sample_limit = models.PositiveSmallIntegerField(_("samples per order"), default=2)
    dropship_price_minor = models.BigIntegerField(_("dropship price"), null=True, blank=True)
    sample_price_minor = models.BigIntegerField(_("sample price"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["product", "code"], name="sku_code_unique_per_product"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="sku_stock_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="sku_reserved_not_negative"),
            models.CheckConstraint(condition=Q(moq__gte=1), name="sku_moq_positive"),
            models.CheckConstraint(
                condition=Q(dropship_price_minor__isnull=True) | Q(dropship_price_minor__gte=0),
                name="sku_dropship_price_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(sample_price_minor__isnull=True) | Q(sample_price_minor__gte=0),
                name="sku_sample_price_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def label(self) -> str:
        return " / ".join(str(v) for v in self.attributes.values()) or self.code


class PriceTier(models.Model):
    """One break of a SKU's price ladder: from ``min_quantity`` units, each costs this much."""

    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="tiers")
    min_quantity = models.PositiveIntegerField()
    unit_price_minor = models.BigIntegerField()

    class Meta:
        ordering = ["min_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["sku", "min_quantity"], name="tier_unique_quantity"),
            models.CheckConstraint(condition=Q(min_quantity__gte=1), name="tier_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price_minor__gte=0), name="tier_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"≥{self.min_quantity}: {self.unit_price_minor}"


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(
        upload_to="products/%Y/%m/", width_field="width", height_field="height"
    )
    thumbnail = models.ImageField(upload_to="products/thumbs/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return str(self.image.name)


class ImportJob(models.Model):
    supplier = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(upload_to="imports/")
    original_name = models.CharField(max_length=255)
    mode = models.CharField(
        max_length=8, choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING
    )
    publish = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(processed_rows__lte=F("total_rows")) | Q(total_rows=0),
                name="import_progress_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.status})"
