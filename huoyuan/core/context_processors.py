from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from huoyuan.core.selectors import display_currencies

SESSION_CURRENCY = "display_currency"


def marketplace(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, "actor", None)
    return {
        "marketplace_name": settings.MARKETPLACE_NAME,
        "actor": actor if getattr(actor, "user_id", None) else None,
        "display_currency": request.session.get(SESSION_CURRENCY, "CNY")
        if hasattr(request, "session")
        else "CNY",
        "display_currencies": lambda: display_currencies(),
    }
