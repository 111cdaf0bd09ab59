from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from huoyuan.catalogue.selectors import ProductFilters, category_roots, product_list_public
from huoyuan.core.context_processors import SESSION_CURRENCY
from huoyuan.core.selectors import display_currencies
from huoyuan.suppliers.selectors import belt_list


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/home.html",
        {
            "roots": category_roots(),
            "belts": belt_list(),
            "newest": product_list_public(filters=ProductFilters())[:12],
        },
    )


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


@require_POST
def set_currency(request: HttpRequest) -> HttpResponse:
    currency = request.POST.get("currency", "")
    if currency in display_currencies():
        request.session[SESSION_CURRENCY] = currency
    return HttpResponseRedirect(_safe_next(request))


def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says; send them to the real icon."""
    return redirect(static("core/favicon.svg"), permanent=True)
