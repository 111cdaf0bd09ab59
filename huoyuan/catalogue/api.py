# No `from __future__ import annotations` here: ninja's @paginate resolves the wrapped view's
# string annotations in its own module, where `Query[...]` is undefined (a 500 on every call).

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from huoyuan.accounts.auth import API_AUTH, require_actor
from huoyuan.accounts.contracts import OrganizationKind
from huoyuan.catalogue import selectors, services
from huoyuan.catalogue.errors import NotFound, ValidationFailed
from huoyuan.catalogue.importing import import_job_start
from huoyuan.catalogue.pricing import price_for_quantity
from huoyuan.catalogue.schemas import (
    CategoryOut,
    ImageOut,
    ImportJobOut,
    PriceQuoteOut,
    ProductCardOut,
    ProductIn,
    ProductOut,
    StatusIn,
)
from huoyuan.core.money import parse_amount
from huoyuan.core.schemas import OkOut

public = Router(tags=["catalogue"])
supplier = Router(tags=["supplier catalogue"], auth=API_AUTH)


class ProductQuery(Schema):
    category: str | None = None
    price_min: str | None = None
    price_max: str | None = None
    moq_max: int | None = None
    belt: str | None = None
    verified: bool = False
    dropship: bool = False
    sort: str = "newest"


def filters_from_query(q: ProductQuery) -> selectors.ProductFilters:
    """Shared by the API and the category page so both filter alike."""
    return selectors.ProductFilters(
        category=selectors.category_get(slug=q.category) if q.category else None,
        price_min_minor=parse_amount(q.price_min, "CNY", field="price_min")
        if q.price_min
        else None,
        price_max_minor=parse_amount(q.price_max, "CNY", field="price_max")
        if q.price_max
        else None,
        moq_max=q.moq_max,
        belt_slug=q.belt or None,
        verified_only=q.verified,
        dropship_only=q.dropship,
        sort=q.sort if q.sort in selectors.SORTS else "newest",
    )


@public.get("/categories", response=list[CategoryOut])
@paginate(PageNumberPagination, page_size=500, max_page_size=1000)
def category_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    return selectors.category_list()


@public.get("/categories/{slug}", response=CategoryOut)
def category_detail(request: HttpRequest, slug: str):  # type: ignore[no-untyped-def]
    return selectors.category_get(slug=slug)


@public.get("/products", response=list[ProductCardOut])
@paginate(PageNumberPagination)
def product_list(request: HttpRequest, q: Query[ProductQuery]):  # type: ignore[no-untyped-def]
    return selectors.product_list_public(filters=filters_from_query(q))


@public.get("/products/{product_id}", response=ProductOut)
def product_detail(request: HttpRequest, product_id: int):  # type: ignore[no-untyped-def]
    return selectors.product_get_public(product_id=product_id)


@public.get("/products/{product_id}/price", response=PriceQuoteOut)
def product_price(request: HttpRequest, product_id: int, sku: str, quantity: int):  # type: ignore[no-untyped-def]
    product = selectors.product_get_public(product_id=product_id)
    chosen = next((s for s in product.skus.all() if s.code == sku), None)
    if chosen is None:
        raise NotFound()
    if quantity < 1:
        raise ValidationFailed(_("Quantity must be at least 1."), field="quantity")
    quote = price_for_quantity(selectors.sku_ladder(chosen), quantity)
    if quote is None:
        raise ValidationFailed(_("This quantity is below the first price break."), field="quantity")
    return {
        "sku": chosen.code,
        "quantity": quantity,
        "currency": product.currency,
        "unit_price_minor": quote.unit_price_minor,
        "total_minor": quote.total_minor,
        "applied_min_quantity": quote.applied.min_quantity,
        "next_break_min_quantity": quote.next_break.min_quantity if quote.next_break else None,
        "next_break_unit_price_minor": (
            quote.next_break.unit_price_minor if quote.next_break else None
        ),
        "units_to_next_break": quote.units_to_next_break,
        "meets_moq": quantity >= chosen.moq,
    }


class SupplierProductQuery(Schema):
    status: str | None = None
    q: str = ""


@supplier.get("/products", response=list[ProductCardOut])
@paginate(PageNumberPagination)
def supplier_product_list(request: HttpRequest, q: Query[SupplierProductQuery]):  # type: ignore[no-untyped-def]
    actor = require_actor(request, kind=OrganizationKind.SUPPLIER)
    return selectors.product_list_for_supplier(
        actor=actor, status=q.status, query=q.q
    ).select_related("supplier__supplier_profile__belt")


@supplier.post("/products", response={201: ProductOut})
def supplier_product_create(request: HttpRequest, payload: ProductIn, publish: bool = False):  # type: ignore[no-untyped-def]
    actor = require_actor(request, kind=OrganizationKind.SUPPLIER)
    category = _category(payload.category)
    product = services.product_create(
        actor=actor, data=payload.to_input(category_id=category.pk), publish=publish
    )
    return 201, selectors.product_get_for_supplier(actor=actor, product_id=product.pk)


@supplier.get("/products/{product_id}", response=ProductOut)
def supplier_product_detail(request: HttpRequest, product_id: int):  # type: ignore[no-untyped-def]
    actor = require_actor(request, kind=OrganizationKind.SUPPLIER)
    return selectors.product_get_for_supplier(actor=actor, product_id=product_id)


@supplier.put("/products/{product_id}", response=ProductOut)
def supplier_product_update(request: HttpRequest, product_id: int, payload: ProductIn):  # type: ignore[no-untyped-def]
    actor = require_actor(request, kind=OrganizationKind.SUPPLIER)
    selectors.product_get_for_supplier(actor=actor, product_id=product_id)
    category = _category(payload.category)
    services.product_update(
        actor=actor, product_id=product_id, data=payload.to_input(category_id=category.pk)
    )
    return selectors.product_get_for_supplier(actor=actor, product_id=product_id)


@supplier.post("/products/{product_id}/status", response=ProductOut)
def supplier_product_status(request: HttpRequest, product_id: int, payload: StatusIn):  # type: ignore[no-untyped-def]
    actor = require_actor(request, kind=OrganizationKind.SUPPLIER)
    services.product_set_status(actor=actor, product_id=product_id, status=payload.status)
    return selectors.product_get_for_supplier(actor=actor, product_id=product_id)


@supplier.post("/products/{product_id}/images", response={201: ImageOut})
def supplier_product_image_add(request: HttpRequest, product_id: int, image: File[UploadedFile]):  # type: ignore[no-untyped-def]
    actor = require_actor(request, kind=OrganizationKind.SUPPLIER)
    return 201, services.product_image_add(actor=actor, product_id=product_id, upload=image)


@supplier.delete("/products/{product_id}/images/{image_id}", response=OkOut)
def supplier_product_image_delete(request: HttpRequest, product_id: int, image_id: int):  # type: ignore[no-untyped-def]
    actor = require_actor(request, kind=OrganizationKind.SUPPLIER)
    services.product_image_delete(actor=actor, product_id=product_id, image_id=image_id)
    return {"ok": True}


@supplier.get("/imports", response=list[ImportJobOut])
@paginate(PageNumberPagination)
def supplier_import_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    actor = require_actor(request, kind=OrganizationKind.SUPPLIER)
    return selectors.import_job_list(actor=actor)


@supplier.post("/imports", response={202: ImportJobOut})
def supplier_import_start(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    file: File[UploadedFile],
    mode: Form[str] = "all",
    publish: Form[bool] = False,
):
    """Multipart: ``file``, with ``mode`` ("all" or "valid") and ``publish`` as form fields."""
    actor = require_actor(request, kind=OrganizationKind.SUPPLIER)
    return 202, import_job_start(actor=actor, upload=file, mode=mode, publish=publish)


@supplier.get("/imports/{job_id}", response=ImportJobOut)
def supplier_import_detail(request: HttpRequest, job_id: int):  # type: ignore[no-untyped-def]
    actor = require_actor(request, kind=OrganizationKind.SUPPLIER)
    return selectors.import_job_get(actor=actor, job_id=job_id)


def _category(slug: str):  # type: ignore[no-untyped-def]
    try:
        return selectors.category_get(slug=slug)
    except NotFound:
        raise ValidationFailed(_("Choose a category from the list."), field="category") from None
