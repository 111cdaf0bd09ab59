# No `from __future__ import annotations`: ninja's @paginate resolves the wrapped view's string
# annotations in its own module (see catalogue/api.py).
"""The acting organization's notifications, for any of its members."""

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import PageNumberPagination, paginate

from huoyuan.accounts.auth import API_AUTH, require_actor
from huoyuan.notifications import selectors, services
from huoyuan.notifications.schemas import MarkReadIn, MarkReadOut, NotificationOut

router = Router(tags=["notifications"], auth=API_AUTH)


@router.get("/notifications", response=list[NotificationOut])
@paginate(PageNumberPagination)
def notification_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    """Newest first; each text is rendered in the request's language (Accept-Language)."""
    actor = require_actor(request)
    return selectors.notification_list(organization_id=actor.organization_id)


@router.post("/notifications/read", response=MarkReadOut)
def notifications_read(request: HttpRequest, payload: MarkReadIn):  # type: ignore[no-untyped-def]
    """Mark these (or, without ``ids``, all) of the organization's notifications read."""
    actor = require_actor(request)
    marked = services.notifications_mark_read(
        organization_id=actor.organization_id, ids=payload.ids
    )
    return {"marked": marked}
