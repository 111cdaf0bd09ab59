from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from huoyuan.catalogue.selectors import ProductFilters, category_roots, product_list_public
from huoyuan.core.pagecache import CURRENCY_COOKIE, cache_public_page
from huoyuan.core.selectors import display_currencies
from huoyuan.suppliers.selectors import belt_list


@cache_public_page()
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
    target = request.GET.get("next") or request.POST.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


# Display preferences are plain links setting a cookie, like a language chosen from a menu: a page
# then holds nothing personal, so public pages can be cached for every anonymous visitor. Forcing
# someone's display language or currency from another site is harmless, so no CSRF token.
PREFERENCE_MAX_AGE = 365 * 24 * 3600


@require_http_methods(["GET", "POST"])
def set_currency(request: HttpRequest) -> HttpResponse:
    currency = request.GET.get("currency") or request.POST.get("currency", "")
    response = HttpResponseRedirect(_safe_next(request))
    if currency in display_currencies():
        response.set_cookie(
            CURRENCY_COOKIE, currency, max_age=PREFERENCE_MAX_AGE, samesite="Lax", httponly=True
        )
    return response


@require_http_methods(["GET", "POST"])
def set_language(request: HttpRequest) -> HttpResponse:
    language = request.GET.get("language") or request.POST.get("language", "")
    response = HttpResponseRedirect(_safe_next(request))
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=PREFERENCE_MAX_AGE,
            samesite="Lax",
        )
    return response


def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says; send them to the real icon."""
    return redirect(static("core/favicon.svg"), permanent=True)
