from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Router, UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from huoyuan.accounts.auth import API_AUTH, require_actor
from huoyuan.accounts.contracts import OrganizationKind
from huoyuan.catalogue.schemas import ProductCardOut
from huoyuan.catalogue.selectors import ProductFilters, product_list_public
from huoyuan.core.errors import NotFound, ValidationFailed
from huoyuan.core.schemas import OkOut
from huoyuan.suppliers import selectors, services
from huoyuan.suppliers.schemas import (
    BeltOut,
    FactoryPhotoOut,
    SupplierOut,
    SupplierProfileIn,
    VerificationIn,
    VerificationQueueOut,
)

public = Router(tags=["suppliers"])
supplier = Router(tags=["supplier profile"], auth=API_AUTH)
operator = Router(tags=["operator"], auth=API_AUTH)


@public.get("/belts", response=list[BeltOut])
@paginate(PageNumberPagination, page_size=100)
def belt_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    return selectors.belt_list()


@public.get("/suppliers", response=list[SupplierOut])
@paginate(PageNumberPagination)
def supplier_list(request: HttpRequest, belt: str = "", verified: bool = False):  # type: ignore[no-untyped-def]
    return selectors.supplier_list_public(belt_slug=belt, verified_only=verified)


@public.get("/suppliers/{slug}", response=SupplierOut)
def supplier_detail(request: HttpRequest, slug: str):  # type: ignore[no-untyped-def]
    return selectors.supplier_get_public(slug=slug)


@public.get("/suppliers/{slug}/products", response=list[ProductCardOut])
@paginate(PageNumberPagination)
def supplier_products(request: HttpRequest, slug: str):  # type: ignore[no-untyped-def]
    profile = selectors.supplier_get_public(slug=slug)
    return product_list_public(filters=ProductFilters(supplier_id=profile.organization_id))


@supplier.get("/profile", response=SupplierOut)
def profile_detail(request: HttpRequest):  # type: ignore[no-untyped-def]
    actor = require_actor(request, kind=OrganizationKind.SUPPLIER)
    return selectors.supplier_profile_for_actor(actor=actor)


@supplier.put("/profile", response=SupplierOut)
def profile_update(request: HttpRequest, payload: SupplierProfileIn):  # type: ignore[no-untyped-def]
    actor = require_actor(request, kind=OrganizationKind.SUPPLIER)
    data: dict[str, Any] = payload.model_dump(exclude_unset=True)
    if "belt" in data:
        slug = data.pop("belt")
        try:
            data["belt_id"] = selectors.belt_get(slug=slug).pk if slug else None
        except NotFound:
            raise ValidationFailed(
                _("Choose an industrial belt from the list."), field="belt"
            ) from None
    services.supplier_profile_update(actor=actor, data=data)
    return selectors.supplier_profile_for_actor(actor=actor)


@supplier.post("/profile/logo", response=SupplierOut)
def profile_logo(request: HttpRequest, logo: File[UploadedFile]):  # type: ignore[no-untyped-def]
    actor = require_actor(request, kind=OrganizationKind.SUPPLIER)
    services.supplier_logo_set(actor=actor, upload=logo)
    return selectors.supplier_profile_for_actor(actor=actor)


@supplier.get("/profile/photos", response=list[FactoryPhotoOut])
@paginate(PageNumberPagination)
def profile_photo_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    actor = require_actor(request, kind=OrganizationKind.SUPPLIER)
    return selectors.factory_photo_list(actor=actor)


@supplier.post("/profile/photos", response={201: FactoryPhotoOut})
def profile_photo_add(  # type: ignore[no-untyped-def]
    request: HttpRequest, photo: File[UploadedFile], caption: Form[str] = ""
):
    actor = require_actor(request, kind=OrganizationKind.SUPPLIER)
    return 201, services.factory_photo_add(actor=actor, upload=photo, caption=caption)


@supplier.delete("/profile/photos/{photo_id}", response=OkOut)
def profile_photo_delete(request: HttpRequest, photo_id: int):  # type: ignore[no-untyped-def]
    actor = require_actor(request, kind=OrganizationKind.SUPPLIER)
    services.factory_photo_delete(actor=actor, photo_id=photo_id)
    return {"ok": True}


@supplier.post("/profile/verification-request", response=SupplierOut)
def profile_verification_request(request: HttpRequest):  # type: ignore[no-untyped-def]
    actor = require_actor(request, kind=OrganizationKind.SUPPLIER)
    services.verification_request(actor=actor)
    return selectors.supplier_profile_for_actor(actor=actor)


@operator.get("/verification-queue", response=list[VerificationQueueOut])
@paginate(PageNumberPagination)
def verification_queue(request: HttpRequest):  # type: ignore[no-untyped-def]
    return selectors.verification_queue(
        actor=require_actor(request, kind=OrganizationKind.OPERATOR)
    )


@operator.post("/suppliers/{organization_id}/verification", response=VerificationQueueOut)
def verification_set(request: HttpRequest, organization_id: int, payload: VerificationIn):  # type: ignore[no-untyped-def]
    return services.verification_set(
        actor=require_actor(request, kind=OrganizationKind.OPERATOR),
        organization_id=organization_id,
        level=payload.level,
    )
