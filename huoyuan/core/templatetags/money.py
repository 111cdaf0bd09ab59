from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from huoyuan.core.money import MINOR_DIGITS, convert, format_minor
from huoyuan.core.selectors import exchange_rates

register = template.Library()


@register.simple_tag(takes_context=True)
def price(context: template.Context, minor: int | None, currency: str = "CNY") -> str:
    """A price in the listing's currency, plus an approximate conversion for the visitor."""
    if minor is None:
        return "–"
    text = format_minor(minor, currency)
    target = context.get("display_currency") or currency
    if target == currency or target not in MINOR_DIGITS:
        return format_html('<span class="price">{}</span>', text)
    rates = exchange_rates()
    if target not in rates or currency not in rates:
        return format_html('<span class="price">{}</span>', text)
    rate = rates[target] / rates[currency]
    approx = format_minor(convert(minor, rate=rate, source=currency, target=target), target)
    return format_html(
        '<span class="price">{}</span> <span class="approx" title="{}">≈ {}</span>',
        text,
        _("Approximate, at the operator's exchange rate; you pay in %(currency)s.")
        % {"currency": currency},
        approx,
    )


@register.simple_tag
def localized(obj: Any, field: str) -> str:
    return str(obj.localized(field))


@register.filter
def first_image(product: Any) -> Any:
    images = list(product.images.all())
    return images[0] if images else None


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: Any) -> str:
    """The current query string with some parameters replaced (for filters and pagination)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    if "page" not in changes:
        query.pop("page", None)
    return "?" + query.urlencode() if query else "?"


@register.filter(name="money")
def money_filter(minor: int | None, currency: str = "CNY") -> str:
    """An amount in its own currency, unconverted: ``{{ total|money:currency }}``."""
    if minor is None:
        return "–"
    return format_minor(int(minor), currency or "CNY")
