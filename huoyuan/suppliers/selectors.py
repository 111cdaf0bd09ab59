from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from huoyuan.accounts.contracts import Actor, OrganizationKind
from huoyuan.core.errors import NotFound
from huoyuan.suppliers.models import FactoryPhoto, IndustrialBelt, SupplierProfile


def belt_list() -> QuerySet[IndustrialBelt]:
    return IndustrialBelt.objects.order_by("position", "slug")


def belt_get(*, slug: str) -> IndustrialBelt:
    belt = IndustrialBelt.objects.filter(slug=slug).first()
    if belt is None:
        raise NotFound()
    return belt


def supplier_list_public(
    *, belt_slug: str = "", verified_only: bool = False
) -> QuerySet[SupplierProfile]:
    qs = SupplierProfile.objects.filter(
        organization__kind=OrganizationKind.SUPPLIER, organization__is_active=True
    )
    if belt_slug:
        qs = qs.filter(belt__slug=belt_slug)
    if verified_only:
        qs = qs.filter(verification_level__gte=1)
    return (
        qs.select_related("organization", "belt")
        .annotate(
            product_count=Count(
                "organization__products", filter=Q(organization__products__status="published")
            )
        )
        .order_by("-verification_level", "organization__name")
    )


def supplier_get_public(*, slug: str) -> SupplierProfile:
    profile = (
        SupplierProfile.objects.select_related("organization", "belt")
        .prefetch_related("photos")
        .filter(organization__slug=slug, organization__is_active=True)
        .first()
    )
    if profile is None:
        raise NotFound()
    return profile


def supplier_profile_for_actor(*, actor: Actor) -> SupplierProfile:
    profile = (
        SupplierProfile.objects.select_related("organization", "belt")
        .filter(organization_id=actor.organization_id)
        .first()
    )
    if profile is None:
        raise NotFound()
    return profile


def factory_photo_list(*, actor: Actor) -> QuerySet[FactoryPhoto]:
    return FactoryPhoto.objects.filter(profile__organization_id=actor.organization_id).order_by(
        "position", "pk"
    )


def verification_queue(*, actor: Actor) -> QuerySet[SupplierProfile]:
    if not actor.is_operator:
        raise NotFound()
    return (
        SupplierProfile.objects.filter(verification_requested_at__isnull=False)
        .select_related("organization", "belt")
        .order_by("verification_requested_at", "pk")
    )
