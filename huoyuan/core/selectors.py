from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.cache import cache

from huoyuan.core.models import ExchangeRate

_RATES_CACHE_KEY = "core:exchange-rates:v1"


def exchange_rates() -> dict[str, Decimal]:
    """Units of each currency per yuan; CNY is always 1. Cached briefly: rates are display-only."""
    rates = cache.get(_RATES_CACHE_KEY)
    if rates is None:
        rates = {r.currency: r.per_cny for r in ExchangeRate.objects.all()}
        cache.set(_RATES_CACHE_KEY, rates, 60)
    rates = dict(rates)
    rates["CNY"] = Decimal(1)
    return rates


def display_currencies() -> list[str]:
    rates = exchange_rates()
    return [c for c in settings.DISPLAY_CURRENCIES if c in rates]


def forget_exchange_rates() -> None:
    cache.delete(_RATES_CACHE_KEY)
