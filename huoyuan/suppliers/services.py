from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huoyuan.accounts.contracts import Actor, OrganizationKind
from huoyuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from huoyuan.core.images import clean_image, delete_files_on_commit
from huoyuan.core.pagecache import public_version_bump
from huoyuan.suppliers.contracts import BusinessType, VerificationLevel
from huoyuan.suppliers.models import FactoryPhoto, IndustrialBelt, SupplierProfile

# What "cleared" means for fields that cannot be NULL.
_EMPTY: dict[str, Any] = {
    "tagline": "",
    "description": "",
    "province": "",
    "city": "",
    "monthly_capacity": "",
    "oem": False,
    "odm": False,
    "patents_count": 0,
    "certifications": [],
    "business_type": BusinessType.FACTORY,
}
PROFILE_FIELDS = {
    "business_type",
    "belt_id",
    "tagline",
    "description",
    "province",
    "city",
    "founded_year",
    "floor_area_m2",
    "staff_count",
    "monthly_capacity",
    "oem",
    "odm",
    "certifications",
    "patents_count",
    "mixed_batch_moq",
}


def on_organization_created(sender: object, *, organization_id: int, kind: str, **_: Any) -> None:
    if kind == OrganizationKind.SUPPLIER:
        SupplierProfile.objects.get_or_create(organization_id=organization_id)


def _profile_for(actor: Actor) -> SupplierProfile:
    if not actor.is_supplier:
        raise PermissionDenied(_("Switch to a supplier organization to edit a supplier profile."))
    profile, _created = SupplierProfile.objects.get_or_create(organization_id=actor.organization_id)
    return profile


def supplier_profile_update(*, actor: Actor, data: dict[str, Any]) -> SupplierProfile:
    unknown = set(data) - PROFILE_FIELDS
    if unknown:
        raise ValidationFailed(_("Unknown field."), field=sorted(unknown)[0])
    if "business_type" in data and data["business_type"] not in BusinessType.values:
        raise ValidationFailed(_("Choose factory or trading company."), field="business_type")
    belt_id = data.get("belt_id")
    if belt_id is not None and not IndustrialBelt.objects.filter(pk=belt_id).exists():
        raise ValidationFailed(_("Choose an industrial belt from the list."), field="belt_id")
    year = data.get("founded_year")
    if year is not None and not 1800 <= int(year) <= timezone.now().year:
        raise ValidationFailed(_("Enter a year the company was founded in."), field="founded_year")
    moq = data.get("mixed_batch_moq")
    if moq is not None and not 1 <= int(moq) <= 10_000_000:
        raise ValidationFailed(
            _("A store-wide mixed-batch MOQ is a whole number from 1 (or empty for none)."),
            field="mixed_batch_moq",
        )
    for name in ("floor_area_m2", "staff_count", "patents_count"):
        value = data.get(name)
        if value is not None and not 0 <= int(value) <= 100_000_000:
            raise ValidationFailed(_("Enter a whole number of zero or more."), field=name)
    certs = data.get("certifications")
    if certs is not None:
        if not isinstance(certs, list) or len(certs) > 30:
            raise ValidationFailed(_("List at most 30 certifications."), field="certifications")
        data["certifications"] = [str(c).strip()[:80] for c in certs if str(c).strip()]
    for name, limit in (
        ("tagline", 140),
        ("description", 5000),
        ("province", 40),
        ("city", 40),
        ("monthly_capacity", 80),
    ):
        if name in data and len(str(data[name] or "")) > limit:
            raise ValidationFailed(_("At most %(n)s characters.") % {"n": limit}, field=name)
    with transaction.atomic():
        profile = _profile_for(actor)
        profile = SupplierProfile.objects.select_for_update().get(pk=profile.pk)
        for name, value in data.items():
            if value is None:
                value = _EMPTY.get(name)
            setattr(profile, name, value)
        profile.save()
        transaction.on_commit(public_version_bump)
    return profile


def supplier_logo_set(*, actor: Actor, upload: UploadedFile[bytes]) -> SupplierProfile:
    cleaned = clean_image(upload, field="logo")
    with transaction.atomic():
        profile = _profile_for(actor)
        delete_files_on_commit(profile.logo)  # the logo it replaces
        profile.logo.save(cleaned.thumbnail.name or "logo", cleaned.thumbnail, save=True)
        transaction.on_commit(public_version_bump)
    return profile


MAX_FACTORY_PHOTOS = 12


def factory_photo_add(
    *, actor: Actor, upload: UploadedFile[bytes], caption: str = ""
) -> FactoryPhoto:
    """A photo of the factory floor, warehouse or showroom for the storefront."""
    caption = caption.strip()
    if len(caption) > 120:
        raise ValidationFailed(_("At most %(n)s characters.") % {"n": 120}, field="caption")
    profile = _profile_for(actor)
    cleaned = clean_image(upload, field="photo")
    with transaction.atomic():
        profile = SupplierProfile.objects.select_for_update().get(pk=profile.pk)
        count = profile.photos.count()
        if count >= MAX_FACTORY_PHOTOS:
            raise ValidationFailed(
                _("At most %(n)s factory photos.") % {"n": MAX_FACTORY_PHOTOS}, field="photo"
            )
        photo = FactoryPhoto(profile=profile, caption=caption, position=count)
        photo.image.save(cleaned.image.name or "photo", cleaned.image, save=False)
        photo.thumbnail.save(cleaned.thumbnail.name or "thumb", cleaned.thumbnail, save=False)
        photo.save()
        transaction.on_commit(public_version_bump)
    return photo


def factory_photo_delete(*, actor: Actor, photo_id: int) -> None:
    profile = _profile_for(actor)
    with transaction.atomic():
        photo = FactoryPhoto.objects.filter(pk=photo_id, profile=profile).first()
        if photo is None:
            raise NotFound()
        delete_files_on_commit(photo.image, photo.thumbnail)
        photo.delete()
        transaction.on_commit(public_version_bump)


def verification_request(*, actor: Actor) -> SupplierProfile:
    with transaction.atomic():
        profile = _profile_for(actor)
        if profile.verification_requested_at is not None:
            raise Conflict(
                _("Verification was already requested; the operator will get back to you.")
            )
        profile.verification_requested_at = timezone.now()
        profile.save(update_fields=["verification_requested_at"])
    return profile


def verification_set(*, actor: Actor, organization_id: int, level: int) -> SupplierProfile:
    """The operator's decision; clears the pending request."""
    if not actor.is_operator:
        raise NotFound()
    if level not in VerificationLevel.values:
        raise ValidationFailed(_("Choose a verification level from the list."), field="level")
    with transaction.atomic():
        profile = (
            SupplierProfile.objects.select_for_update()
            .filter(organization_id=organization_id)
            .first()
        )
        if profile is None:
            raise NotFound()
        verification_record(profile=profile, level=level)
    return profile


def verification_record(*, profile: SupplierProfile, level: int) -> None:
    """Write a verification decision (the caller has checked who decides: operator or admin)."""
    profile.verification_level = level
    profile.verification_requested_at = None
    profile.verified_at = timezone.now() if level else None
    profile.save(update_fields=["verification_level", "verification_requested_at", "verified_at"])
    transaction.on_commit(public_version_bump)


def belts_load(*, path: Path) -> int:
    belts: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    with transaction.atomic():
        for position, belt in enumerate(belts):
            IndustrialBelt.objects.update_or_create(
                slug=belt["slug"],
                defaults={
                    "name_zh_hans": belt["zh_hans"],
                    "name_en": belt["en"],
                    "name_de": belt["de"],
                    "province": belt.get("province_zh", ""),
                    "city": belt.get("city_zh", ""),
                    "description_zh_hans": belt.get("description_zh", ""),
                    "description_en": belt.get("description_en", ""),
                    "description_de": belt.get("description_de", ""),
                    "position": position,
                },
            )
        transaction.on_commit(public_version_bump)
    return len(belts)


def supplier_rating_set(*, organization_id: int, average: Decimal | None, count: int) -> None:
    """The trade loop's reviews summarised on the profile (cards and storefronts read it)."""
    SupplierProfile.objects.filter(organization_id=organization_id).update(
        rating_average=average, rating_count=count
    )
    transaction.on_commit(public_version_bump)
