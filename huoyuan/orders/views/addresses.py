"""The buyer's address book: add, edit, delete, choose the default (checkout may send the buyer
here with ``next`` to come back to)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huoyuan.accounts.auth import acting
from huoyuan.core.errors import DomainError, NotFound
from huoyuan.core.web import apply_error, page_view, paginate
from huoyuan.orders import selectors, services
from huoyuan.orders.forms import AddressForm
from huoyuan.orders.views._common import BUYER, _status_of


def _next_url(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@page_view(kind=BUYER)
def addresses(request: HttpRequest) -> HttpResponse:
    actor = acting(request)
    form = AddressForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.address_create(actor=actor, data=form.to_input())
            except DomainError as error:
                apply_error(form, error)
                status = _status_of(error)
            else:
                messages.success(request, _("Address saved."))
                return redirect(_next_url(request) or "orders:addresses")
        else:
            status = 422
    return render(
        request,
        "orders/addresses.html",
        {
            "page": paginate(request, selectors.address_list(actor=actor), per_page=50),
            "form": form,
            "next": _next_url(request) or "",
        },
        status=status,
    )


@page_view(kind=BUYER)
def address_edit(request: HttpRequest, address_id: int) -> HttpResponse:
    actor = acting(request)
    address = selectors.address_get(actor=actor, address_id=address_id)
    form = AddressForm(request.POST or None, initial=AddressForm.initial_for(address))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.address_update(actor=actor, address_id=address.pk, data=form.to_input())
            except NotFound:
                raise
            except DomainError as error:
                apply_error(form, error)
                status = _status_of(error)
            else:
                messages.success(request, _("Address saved."))
                return redirect("orders:addresses")
        else:
            status = 422
    return render(
        request, "orders/address_edit.html", {"address": address, "form": form}, status=status
    )


@require_POST
@page_view(kind=BUYER)
def address_delete(request: HttpRequest, address_id: int) -> HttpResponse:
    services.address_delete(actor=acting(request), address_id=address_id)
    messages.success(request, _("Address deleted."))
    return redirect("orders:addresses")


@require_POST
@page_view(kind=BUYER)
def address_default(request: HttpRequest, address_id: int) -> HttpResponse:
    actor = acting(request)
    address = selectors.address_get(actor=actor, address_id=address_id)
    values = AddressForm.initial_for(address) | {"is_default": True}
    services.address_update(
        actor=actor, address_id=address.pk, data=services.AddressInput(**values)
    )
    messages.success(request, _("Default address changed."))
    return redirect("orders:addresses")
