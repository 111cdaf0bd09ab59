"""A page cache for anonymous visitors of public listing pages.

Rendering a listing of 24 product cards costs tens of milliseconds; a visitor who is not signed in
sees exactly what every other such visitor in the same language and display currency sees. Those
pages are kept for ``PAGE_CACHE_SECONDS`` under a key that includes a *public version*, which every
change to public content (products, suppliers, belts, categories, exchange rates) moves on commit,
so a change is visible on the next request. Signed-in people, visitors with a session or pending
messages, and queries with parameters a page does not know always get a fresh render.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

VERSION_KEY = "pagecache:public-version"
CURRENCY_COOKIE = "huoyuan_currency"


def public_version_bump() -> None:
    """Call on commit of any change to what public pages show."""
    cache.set(VERSION_KEY, time.time_ns(), None)


def _cacheable(request: HttpRequest, params: frozenset[str]) -> bool:
    if request.method != "GET" or settings.PAGE_CACHE_SECONDS <= 0:
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES:
        return False
    if not set(request.GET).issubset(params):
        return False
    return not request.user.is_authenticated


def _key(request: HttpRequest) -> str:
    query = sorted((k, v) for k, values in request.GET.lists() for v in values)
    raw = "|".join(
        [
            request.path,
            repr(query),
            getattr(request, "LANGUAGE_CODE", ""),
            request.COOKIES.get(CURRENCY_COOKIE, ""),
            "htmx" if request.headers.get("HX-Request") else "",
        ]
    )
    return "pagecache:" + hashlib.sha256(raw.encode()).hexdigest()


def _lookup(key: str) -> tuple[int, tuple[str, bytes] | None]:
    """The current public version and the page stored under it (one cache round trip)."""
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    if version is None:
        version = time.time_ns()
        cache.add(VERSION_KEY, version, None)
    stored = found.get(key)
    if stored is None or stored[0] != version:
        return int(version), None
    return int(version), (stored[1], stored[2])


def cache_public_page(
    *params: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Cache a public page for anonymous visitors; ``params`` are the query parameters it reads."""
    known = frozenset({*params, "page"})

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not _cacheable(request, known):
                return view(request, *args, **kwargs)
            key = _key(request)
            version, stored = _lookup(key)
            if stored is not None:
                response = HttpResponse(stored[1], content_type=stored[0])
                response["X-Page-Cache"] = "hit"
                return response
            response = view(request, *args, **kwargs)
            if (
                response.status_code == 200
                and not response.streaming
                and not response.cookies
                and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            ):
                content = response.content
                value = (version, response["Content-Type"], content)
                cache.set(key, value, settings.PAGE_CACHE_SECONDS)
                response["X-Page-Cache"] = "miss"
            return response

        return wrapper

    return decorate
