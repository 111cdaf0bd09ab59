"""Who is calling: helpers shared by pages (session) and the JSON API (session or token)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from huoyuan.accounts.contracts import Actor
from huoyuan.accounts.errors import NoActiveOrganization, WrongOrganizationKind
from huoyuan.accounts.selectors import actor_from_membership, api_token_authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = api_token_authenticate(raw=token)
        if found is None:
            return None
        user, membership = found
        request.user = user
        request.actor = actor_from_membership(membership)  # type: ignore[attr-defined]
        return user


class SessionAuth(APIKeyCookie):
    """The browser session, with Django's CSRF check on unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if request.user.is_authenticated:
            return request.user
        return None


API_AUTH = [TokenAuth(), SessionAuth()]


def current_actor(request: HttpRequest) -> Actor | None:
    actor = getattr(request, "actor", None)
    # The middleware's lazy object is truthy even when it wraps None.
    if actor is None or getattr(actor, "user_id", None) is None:
        return None
    return actor


def require_actor(request: HttpRequest, *, kind: str | None = None) -> Actor:
    actor = current_actor(request)
    if actor is None:
        raise NoActiveOrganization()
    if kind is not None and actor.organization_kind != kind:
        raise WrongOrganizationKind()
    return actor


def acting(request: HttpRequest) -> Actor:
    """The actor of a page that ``page_view(kind=...)`` already let through."""
    return require_actor(request)
