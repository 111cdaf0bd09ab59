from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huoyuan.accounts.auth import acting
from huoyuan.accounts.contracts import OrganizationKind
from huoyuan.catalogue.selectors import ProductFilters, product_list_public
from huoyuan.core.errors import DomainError, NotFound
from huoyuan.core.pagecache import cache_public_page
from huoyuan.core.web import apply_error, page_view, paginate
from huoyuan.orders.selectors import review_list_for_supplier
from huoyuan.suppliers import selectors, services
from huoyuan.suppliers.forms import FactoryPhotoForm, LogoForm, ProfileForm, VerificationForm

REVIEWS_PER_PAGE = 5


@cache_public_page("reviews")
def storefront(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        profile = selectors.supplier_get_public(slug=slug)
    except NotFound:
        raise Http404 from None
    products = product_list_public(filters=ProductFilters(supplier_id=profile.organization_id))
    # The profile's rating count says whether there is anything to list (no query if not).
    reviews = (
        Paginator(
            review_list_for_supplier(supplier_id=profile.organization_id), REVIEWS_PER_PAGE
        ).get_page(request.GET.get("reviews"))
        if profile.rating_count
        else None
    )
    return render(
        request,
        "suppliers/storefront.html",
        {"profile": profile, "page": paginate(request, products), "reviews": reviews},
    )


@cache_public_page("belt", "verified")
def supplier_list(request: HttpRequest) -> HttpResponse:
    belt = request.GET.get("belt", "")
    verified = request.GET.get("verified") == "1"
    suppliers = selectors.supplier_list_public(belt_slug=belt, verified_only=verified)
    return render(
        request,
        "suppliers/list.html",
        {
            "page": paginate(request, suppliers),
            "belts": selectors.belt_list(),
            "belt": belt,
            "verified": verified,
        },
    )


@page_view(kind=OrganizationKind.SUPPLIER)
def workbench_profile(request: HttpRequest) -> HttpResponse:
    actor = acting(request)
    profile = selectors.supplier_profile_for_actor(actor=actor)
    form = ProfileForm(request.POST or None, initial=ProfileForm.initial_for(profile))
    if request.method == "POST" and "verification" in request.POST:
        try:
            services.verification_request(actor=actor)
            messages.success(
                request, _("Verification requested. The operator will review your company.")
            )
        except DomainError as error:
            messages.error(request, str(error.message))
        return redirect("suppliers:workbench_profile")
    if request.method == "POST" and form.is_valid():
        try:
            services.supplier_profile_update(actor=actor, data=form.service_data())
        except DomainError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("suppliers:workbench_profile")
    return render(
        request,
        "suppliers/workbench_profile.html",
        {
            "form": form,
            "profile": profile,
            "logo_form": LogoForm(),
            "photo_form": FactoryPhotoForm(),
            "photos": selectors.factory_photo_list(actor=actor),
        },
    )


@require_POST
@page_view(kind=OrganizationKind.SUPPLIER)
def workbench_logo(request: HttpRequest) -> HttpResponse:
    form = LogoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.supplier_logo_set(actor=acting(request), upload=form.cleaned_data["logo"])
            messages.success(request, _("Logo updated."))
        except DomainError as error:
            messages.error(request, str(error.message))
    else:
        messages.error(request, _("Choose an image file to upload."))
    return redirect("suppliers:workbench_profile")


@require_POST
@page_view(kind=OrganizationKind.SUPPLIER)
def workbench_photo_add(request: HttpRequest) -> HttpResponse:
    form = FactoryPhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.factory_photo_add(
                actor=acting(request),
                upload=form.cleaned_data["photo"],
                caption=form.cleaned_data["caption"],
            )
            messages.success(request, _("Photo added."))
        except DomainError as error:
            messages.error(request, str(error.message))
    else:
        messages.error(request, _("Choose an image file to upload."))
    return redirect("suppliers:workbench_profile")


@require_POST
@page_view(kind=OrganizationKind.SUPPLIER)
def workbench_photo_delete(request: HttpRequest, photo_id: int) -> HttpResponse:
    services.factory_photo_delete(actor=acting(request), photo_id=photo_id)
    messages.success(request, _("Photo removed."))
    return redirect("suppliers:workbench_profile")


@page_view(kind=OrganizationKind.OPERATOR)
def verification_queue(request: HttpRequest) -> HttpResponse:
    actor = acting(request)
    if request.method == "POST":
        form = VerificationForm(request.POST)
        if form.is_valid():
            try:
                services.verification_set(
                    actor=actor,
                    organization_id=form.cleaned_data["organization_id"],
                    level=form.cleaned_data["level"],
                )
                messages.success(request, _("Verification saved."))
            except DomainError as error:
                messages.error(request, str(error.message))
        else:
            messages.error(request, _("Choose a verification level from the list."))
        return redirect("suppliers:verification_queue")
    queue = selectors.verification_queue(actor=actor)
    return render(
        request,
        "suppliers/verification_queue.html",
        {"page": paginate(request, queue), "form": VerificationForm()},
    )
