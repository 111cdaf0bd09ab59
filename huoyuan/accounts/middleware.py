from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from huoyuan.accounts.contracts import Actor
from huoyuan.accounts.selectors import actor_from_membership, membership_get_for_user

SESSION_KEY = "active_organization_id"


def _actor_for(request: HttpRequest) -> Actor | None:
    user = request.user
    if not user.is_authenticated:
        return None
    membership = membership_get_for_user(
        user=user,
        organization_id=request.session.get(SESSION_KEY),
    )
    return actor_from_membership(membership) if membership else None


class ActiveOrganizationMiddleware:
    """Sets ``request.actor``: the signed-in user acting in their active organization."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = SimpleLazyObject(lambda: _actor_for(request))  # type: ignore[attr-defined]
        return self.get_response(request)
