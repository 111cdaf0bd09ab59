from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from huoyuan.core.i18n import LocalizedFieldsMixin
from huoyuan.suppliers.contracts import BusinessType, VerificationLevel


class IndustrialBelt(LocalizedFieldsMixin, models.Model):
    """产业带: a region where many factories of one trade cluster (Yiwu small goods, ...)."""

    slug = models.SlugField(unique=True)
    name_zh_hans = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    name_de = models.CharField(_("name (German)"), max_length=80)
    province = models.CharField(_("province"), max_length=40)
    city = models.CharField(_("city"), max_length=40)
    description_zh_hans = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    description_de = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("industrial belt")
        verbose_name_plural = _("industrial belts")

    def __str__(self) -> str:
        return self.localized("name")


class SupplierProfile(models.Model):
    organization_id: int
    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="supplier_profile"
    )
    business_type = models.CharField(
        _("business type"),
        max_length=10,
        choices=BusinessType.choices,
        default=BusinessType.FACTORY,
    )
    belt = models.ForeignKey(
        IndustrialBelt,
        verbose_name=_("industrial belt"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suppliers",
    )
    tagline = models.CharField(_("tagline"), max_length=140, blank=True)
    description = models.TextField(_("about the company"), blank=True, max_length=5000)
    province = models.CharField(_("province"), max_length=40, blank=True)
    city = models.CharField(_("city"), max_length=40, blank=True)
    founded_year = models.PositiveSmallIntegerField(
        _("founded"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1800), MaxValueValidator(2100)],
    )
    floor_area_m2 = models.PositiveIntegerField(_("floor area (m²)"), null=True, blank=True)
    staff_count = models.PositiveIntegerField(_("staff"), null=True, blank=True)
    monthly_capacity = models.CharField(_("monthly capacity"), max_length=80, blank=True)
    oem = models.BooleanField(_("OEM"), default=False)
    odm = models.BooleanField(_("ODM"), default=False)
    certifications = models.JSONField(_("certifications"), default=list, blank=True)
    patents_count = models.PositiveIntegerField(_("patents"), default=0)
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    verification_level = models.PositiveSmallIntegerField(
        _("verification"), choices=VerificationLevel.choices, default=VerificationLevel.NONE
    )
    verification_requested_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    # 混批 across the whole store: with it set, an order to this supplier may mix any of its SKUs
    # and products; SKU MOQs are waived as long as the order holds this many units in all.
    mixed_batch_moq = models.PositiveIntegerField(
        _("mixed-batch MOQ for the whole store"), null=True, blank=True
    )
    # Service metrics: computed by the trade loop later; shown on cards and storefronts.
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    rating_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["verification_level"])]
        verbose_name = _("supplier profile")
        verbose_name_plural = _("supplier profiles")

    def __str__(self) -> str:
        return str(self.organization)


class FactoryPhoto(models.Model):
    profile = models.ForeignKey(SupplierProfile, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="factory/")
    thumbnail = models.ImageField(upload_to="factory/thumbs/")
    caption = models.CharField(max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.caption or str(self.image.name)
