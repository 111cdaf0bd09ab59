from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huoyuan.accounts.auth import acting
from huoyuan.accounts.contracts import OrganizationKind
from huoyuan.catalogue import selectors, services
from huoyuan.catalogue.contracts import ImportStatus, ProductStatus
from huoyuan.catalogue.errors import NotFound
from huoyuan.catalogue.forms import (
    ImageForm,
    ImportForm,
    ProductForm,
    SkuForm,
    SkuFormSet,
    apply_service_error,
    product_input_from_forms,
)
from huoyuan.catalogue.importing import COLUMNS, import_job_start
from huoyuan.catalogue.pricing import price_for_quantity
from huoyuan.core.errors import DomainError
from huoyuan.core.money import parse_amount
from huoyuan.core.pagecache import cache_public_page
from huoyuan.core.web import apply_error, page_view, paginate
from huoyuan.orders.selectors import review_list_for_supplier
from huoyuan.suppliers.selectors import belt_list

SUPPLIER = OrganizationKind.SUPPLIER
LATEST_REVIEWS = 3


def _int_or_none(raw: str | None) -> int | None:
    try:
        value = int(raw) if raw else None
    except ValueError:
        return None
    return value if value is None or value >= 0 else None


def _money_or_none(raw: str | None) -> int | None:
    if not raw:
        return None
    try:
        return parse_amount(raw, "CNY")
    except DomainError:
        return None


def filters_from_request(request: HttpRequest, category: Any = None) -> selectors.ProductFilters:
    """The category and search pages read the same filters; nonsense values are ignored."""
    get = request.GET
    sort = get.get("sort", "newest")
    return selectors.ProductFilters(
        category=category,
        price_min_minor=_money_or_none(get.get("price_min")),
        price_max_minor=_money_or_none(get.get("price_max")),
        moq_max=_int_or_none(get.get("moq_max")),
        belt_slug=get.get("belt") or None,
        verified_only=get.get("verified") == "1",
        dropship_only=get.get("dropship") == "1",
        sort=sort if sort in selectors.SORTS else "newest",
    )


@cache_public_page("sort", "price_min", "price_max", "moq_max", "belt", "verified", "dropship")
def category(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        node = selectors.category_get(slug=slug)
    except NotFound:
        raise Http404 from None
    filters = filters_from_request(request, node)
    page = paginate(request, selectors.product_list_public(filters=filters))
    return render(
        request,
        "catalogue/category.html",
        {
            "category": node,
            "ancestors": selectors.category_ancestors(category=node),
            "children": selectors.category_children(category=node),
            "belts": belt_list(),
            "page": page,
            "filters": filters,
            "sorts": sort_labels(),
        },
    )


def sort_labels() -> list[tuple[str, str]]:
    return [
        ("newest", _("Newest")),
        ("price_asc", _("Price: low to high")),
        ("price_desc", _("Price: high to low")),
        ("moq_asc", _("MOQ: low to high")),
    ]


def _quote_context(product: Any, request: HttpRequest) -> dict[str, Any]:
    skus = list(product.skus.all())
    chosen = next((s for s in skus if s.code == request.GET.get("sku")), skus[0] if skus else None)
    quantity = _int_or_none(request.GET.get("quantity")) or (chosen.moq if chosen else 1)
    quote = None
    ladder = selectors.sku_ladder(chosen) if chosen else []
    if chosen is not None:
        quote = price_for_quantity(ladder, max(quantity, 1))
    return {
        "product": product,
        "skus": skus,
        "chosen": chosen,
        "ladder": ladder,
        "quantity": quantity,
        "quote": quote,
        "below_moq": chosen is not None and quantity < chosen.moq,
        "over_stock": chosen is not None and quantity > chosen.stock,
    }


def product(request: HttpRequest, product_id: int) -> HttpResponse:
    try:
        item = selectors.product_get_public(product_id=product_id)
    except NotFound:
        raise Http404 from None
    context = _quote_context(item, request)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "catalogue/_quote.html", context)
    context["ancestors"] = selectors.category_ancestors(category=item.category)
    profile = context["profile"] = getattr(item.supplier, "supplier_profile", None)
    # The rating count comes with the profile: a supplier without reviews costs no query here.
    context["reviews"] = (
        list(review_list_for_supplier(supplier_id=item.supplier_id)[:LATEST_REVIEWS])
        if profile is not None and profile.rating_count
        else []
    )
    return render(request, "catalogue/product.html", context)


# --- supplier workbench ----------------------------------------------------------------------


@page_view(kind=SUPPLIER)
def workbench_products(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    products = selectors.product_list_for_supplier(
        actor=acting(request),
        status=status if status in ProductStatus.values else None,
        query=request.GET.get("q", "").strip()[:100],
    )
    return render(
        request,
        "catalogue/workbench_products.html",
        {
            "page": paginate(request, products, per_page=50),
            "statuses": ProductStatus.choices,
            "status": status,
        },
    )


def _quiet(form: Any) -> Any:
    """Keep what was typed but show no errors: the supplier asked for a row, not to save."""
    form.full_clean()
    form._errors = ErrorDict()
    return form


def _quiet_formset(formset: Any) -> Any:
    formset.full_clean()
    for form in formset.forms:
        form._errors = ErrorDict()
    formset._non_form_errors = formset.error_class()
    formset._errors = [ErrorDict() for _form in formset.forms]
    return formset


def _product_forms(request: HttpRequest, product: Any = None) -> tuple[ProductForm, Any]:
    if request.method == "POST" and "add_sku" in request.POST:
        # "Add a SKU row": show the same form with one more empty row; nothing is saved.
        data = request.POST.copy()
        rows = min(_int_or_none(data.get("sku-TOTAL_FORMS")) or 0, SkuFormSet.max_num - 1)
        data["sku-TOTAL_FORMS"] = str(rows + 1)
        data[f"sku-{rows}-moq"] = "1"  # the field's initial: an untouched new row stays optional
        return _quiet(ProductForm(data)), _quiet_formset(SkuFormSet(data, prefix="sku"))
    if request.method == "POST":
        return ProductForm(request.POST), SkuFormSet(request.POST, prefix="sku")
    if product is None:
        return ProductForm(), SkuFormSet(prefix="sku", initial=[{"moq": 1, "q1": 1}])
    return (
        ProductForm(initial=ProductForm.initial_for(product)),
        SkuFormSet(prefix="sku", initial=[SkuForm.initial_for(s) for s in product.skus.all()]),
    )


@page_view(kind=SUPPLIER)
def workbench_product_edit(request: HttpRequest, product_id: int | None = None) -> HttpResponse:
    actor = acting(request)
    product = (
        selectors.product_get_for_supplier(actor=actor, product_id=product_id)
        if product_id
        else None
    )
    form, skus = _product_forms(request, product)
    saving = request.method == "POST" and "add_sku" not in request.POST
    if saving and form.is_valid() and skus.is_valid():
        data = product_input_from_forms(form, skus)
        if data is not None:
            try:
                if product is None:
                    saved = services.product_create(
                        actor=actor, data=data, publish=form.cleaned_data["publish"]
                    )
                else:
                    saved = services.product_update(actor=actor, product_id=product.pk, data=data)
                    if form.cleaned_data["publish"] and saved.status != ProductStatus.PUBLISHED:
                        services.product_set_status(
                            actor=actor, product_id=saved.pk, status=ProductStatus.PUBLISHED
                        )
            except DomainError as error:
                apply_service_error(error, form, skus)
            else:
                messages.success(request, _("Product saved."))
                return redirect("catalogue:workbench_product_edit", product_id=saved.pk)
    return render(
        request,
        "catalogue/workbench_product_form.html",
        {"form": form, "skus": skus, "product": product, "image_form": ImageForm()},
    )


@require_POST
@page_view(kind=SUPPLIER)
def workbench_product_status(request: HttpRequest, product_id: int) -> HttpResponse:
    try:
        services.product_set_status(
            actor=acting(request),
            product_id=product_id,
            status=request.POST.get("status", ""),
        )
        messages.success(request, _("Status changed."))
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("catalogue:workbench_product_edit", product_id=product_id)


@require_POST
@page_view(kind=SUPPLIER)
def workbench_product_image_add(request: HttpRequest, product_id: int) -> HttpResponse:
    form = ImageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.product_image_add(
                actor=acting(request),
                product_id=product_id,
                upload=form.cleaned_data["image"],
            )
            messages.success(request, _("Image added."))
        except NotFound:
            raise
        except DomainError as error:
            messages.error(request, str(error.message))
    else:
        messages.error(request, _("Choose an image file to upload."))
    return redirect("catalogue:workbench_product_edit", product_id=product_id)


@require_POST
@page_view(kind=SUPPLIER)
def workbench_product_image_delete(
    request: HttpRequest, product_id: int, image_id: int
) -> HttpResponse:
    services.product_image_delete(actor=acting(request), product_id=product_id, image_id=image_id)
    messages.success(request, _("Image removed."))
    return redirect("catalogue:workbench_product_edit", product_id=product_id)


@page_view(kind=SUPPLIER)
def workbench_imports(request: HttpRequest) -> HttpResponse:
    actor = acting(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_start(
                actor=actor,
                upload=form.cleaned_data["file"],
                mode=form.cleaned_data["mode"],
                publish=form.cleaned_data["publish"],
            )
        except DomainError as error:
            apply_error(form, error)
        else:
            return redirect("catalogue:workbench_import", job_id=job.pk)
    return render(
        request,
        "catalogue/workbench_imports.html",
        {
            "form": form,
            "page": paginate(request, selectors.import_job_list(actor=actor), per_page=20),
            "columns": COLUMNS,
        },
    )


@page_view(kind=SUPPLIER)
def workbench_import(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.import_job_get(actor=acting(request), job_id=job_id)
    context = {"job": job, "running": job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "catalogue/_import_progress.html", context)
    return render(request, "catalogue/workbench_import.html", context)
