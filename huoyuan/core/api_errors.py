"""One error format for the whole API: ``{code, message, field}`` with a fitting status."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from huoyuan.core.errors import DomainError


def _field(loc: list[Any] | tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "file", "payload")]
    return ".".join(parts) or None


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [
            {
                "code": "invalid",
                "message": str(e.get("msg", _("Invalid value."))),
                "field": _field(e.get("loc", ())),
            }
            for e in exc.errors
        ]
        first = (
            errors[0]
            if errors
            else {"code": "invalid", "message": _("Invalid input."), "field": None}
        )
        return api.create_response(request, {**first, "errors": errors}, status=422)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        body = {
            "code": "unauthenticated",
            "message": _("Log in, or send an API token as 'Authorization: Bearer <token>'."),
            "field": None,
        }
        return api.create_response(request, body, status=401)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        body = {"code": "not_found", "message": _("Not found."), "field": None}
        return api.create_response(request, body, status=404)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        body = {"code": "http_error", "message": str(exc), "field": None}
        return api.create_response(request, body, status=exc.status_code)
