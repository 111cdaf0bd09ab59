"""Money is an integer number of minor units plus a currency; never a float.

Prices are entered and shown as decimal strings ("12.50"); conversion happens only here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from huoyuan.core.errors import ValidationFailed

# ISO 4217 exponents for the currencies we list or display.
MINOR_DIGITS: dict[str, int] = {
    "CNY": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "JPY": 0,
    "KRW": 0,
    "AUD": 2,
    "CAD": 2,
}
SYMBOLS: dict[str, str] = {
    "CNY": "¥",
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "HKD": "HK$",
    "JPY": "JP¥",
    "KRW": "₩",
    "AUD": "A$",
    "CAD": "C$",
}
_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]*)?", re.ASCII)
MAX_MINOR = 10**13  # 100 billion in a two-digit currency: far above any wholesale price


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if self.currency not in MINOR_DIGITS:
            raise ValidationFailed(_("Unknown currency."), field="currency")

    @property
    def amount(self) -> Decimal:
        return Decimal(self.minor).scaleb(-MINOR_DIGITS[self.currency])

    def __str__(self) -> str:
        digits = MINOR_DIGITS[self.currency]
        return f"{SYMBOLS.get(self.currency, self.currency + ' ')}{self.amount:,.{digits}f}"


def parse_amount(value: str | int | Decimal, currency: str, *, field: str = "price") -> int:
    """Turn "12.5" into 1250 (CNY); refuse negatives, too many decimals and nonsense."""
    digits = MINOR_DIGITS.get(currency)
    if digits is None:
        raise ValidationFailed(_("Unknown currency."), field="currency")
    text = str(value).strip()
    # Plain ASCII decimals only: Decimal would also take "1_000", "١٢" or "1e3", which no person
    # typing a price means, and which other systems reading our exports would not understand.
    if not _AMOUNT.fullmatch(text):
        raise ValidationFailed(_("Enter an amount such as 12.50."), field=field)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed(_("Enter an amount such as 12.50."), field=field) from None
    if not amount.is_finite():
        raise ValidationFailed(_("Enter an amount such as 12.50."), field=field)
    if amount < 0:
        raise ValidationFailed(_("An amount cannot be negative."), field=field)
    # Compare exactly before any context arithmetic: scaling "1e999999999" overflows (a 500),
    # and scaling rounds to 28 digits, which silently turned "1.000…0001" into 1.00.
    if amount >= Decimal(MAX_MINOR).scaleb(-digits):
        raise ValidationFailed(_("This amount is too large."), field=field)
    whole = amount.quantize(Decimal(1).scaleb(-digits))
    if whole != amount:
        raise ValidationFailed(
            _("Use at most %(digits)s decimal places.") % {"digits": digits}, field=field
        )
    return int(whole.scaleb(digits))


def format_minor(minor: int, currency: str) -> str:
    return str(Money(minor, currency))


def convert(minor: int, *, rate: Decimal, source: str, target: str) -> int:
    """Convert minor units with a rate (1 source = rate target), rounding half up."""
    value = Decimal(minor).scaleb(-MINOR_DIGITS[source]) * rate
    return int(value.scaleb(MINOR_DIGITS[target]).quantize(Decimal(1), rounding=ROUND_HALF_UP))
