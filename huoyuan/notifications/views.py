"""The organization's notifications, in the reader's language, and "mark all read"."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huoyuan.accounts.auth import acting
from huoyuan.core.web import page_view, paginate
from huoyuan.notifications import selectors, services


@page_view()
def notification_list(request: HttpRequest) -> HttpResponse:
    actor = acting(request)
    page = paginate(
        request, selectors.notification_list(organization_id=actor.organization_id), per_page=30
    )
    items = [
        {"notification": n, "text": services.notification_text(n), "unread": n.read_at is None}
        for n in page
    ]
    return render(
        request,
        "notifications/list.html",
        {"page": page, "items": items, "any_unread": any(i["unread"] for i in items)},
    )


@require_POST
@page_view()
def mark_read(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_read(organization_id=acting(request).organization_id)
    if count:
        messages.success(request, _("All notifications marked read."))
    return redirect("notifications:list")
