"""Helpers shared by the HTML views of every app."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from huoyuan.core.errors import DomainError, NotFound

T = TypeVar("T")
PER_PAGE = 24


def paginate(request: HttpRequest, items: QuerySet[Any], *, per_page: int = PER_PAGE) -> Page[Any]:
    """Page-number pagination; a page past the end shows the last page, garbage shows the first."""
    paginator = Paginator(items, per_page)
    return paginator.get_page(request.GET.get("page"))


def apply_error(form: forms.BaseForm, error: DomainError) -> None:
    """Show a service's error next to the field it names (or above the form)."""
    field = (error.field or "").split(".")[0]
    form.add_error(field if field in form.fields else None, str(error.message))


def page_view(
    *, kind: str | None = None, login: bool = True
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Pages that need a signed-in member of an organization (of ``kind``, if given).

    Another tenant's object, or a page for another kind of organization, is a 404 (not 403):
    we never confirm that something exists to someone who may not see it.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if login and not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if kind is not None:
                actor = getattr(request, "actor", None)
                if getattr(actor, "organization_kind", None) != kind:
                    raise Http404
            try:
                return view(request, *args, **kwargs)
            except NotFound:
                raise Http404 from None

        return wrapper

    return decorate
