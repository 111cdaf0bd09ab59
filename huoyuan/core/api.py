from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema

from huoyuan.core.selectors import display_currencies, exchange_rates

router = Router(tags=["money"])


class RateOut(Schema):
    currency: str
    per_cny: Decimal
    approximate: bool = True


@router.get("/exchange-rates", response=list[RateOut])
def rate_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    """Display-only rates the operator maintains; every converted price is approximate."""
    rates = exchange_rates()
    return [{"currency": c, "per_cny": rates[c]} for c in display_currencies()]
