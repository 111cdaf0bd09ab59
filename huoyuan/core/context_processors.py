from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from huoyuan.core.pagecache import CURRENCY_COOKIE
from huoyuan.core.selectors import display_currencies


def marketplace(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, "actor", None)
    return {
        "marketplace_name": settings.MARKETPLACE_NAME,
        "actor": actor if getattr(actor, "user_id", None) else None,
        "display_currency": request.COOKIES.get(CURRENCY_COOKIE, "CNY"),
        "display_currencies": lambda: display_currencies(),
    }
