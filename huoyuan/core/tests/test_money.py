from decimal import Decimal

import pytest

from huoyuan.core.errors import ValidationFailed
from huoyuan.core.money import Money, convert, format_minor, parse_amount


@pytest.mark.parametrize(
    ("raw", "currency", "minor"),
    [
        ("12.50", "CNY", 1250),
        ("12.5", "CNY", 1250),
        ("12", "CNY", 1200),
        (" 7 ", "CNY", 700),
        ("0", "CNY", 0),
        ("0.01", "CNY", 1),
        ("12.500", "CNY", 1250),
        ("12.", "CNY", 1200),
        ("99999999999.99", "CNY", 9_999_999_999_999),
        ("980", "JPY", 980),
        ("5.0", "JPY", 5),
        (Decimal("3.21"), "USD", 321),
        (4, "EUR", 400),
    ],
)
def test_parses_decimal_strings_into_minor_units(raw, currency, minor):
    assert parse_amount(raw, currency) == minor


@pytest.mark.parametrize(
    ("raw", "currency", "message"),
    [
        ("-1", "CNY", "An amount cannot be negative."),
        ("-0.01", "CNY", "An amount cannot be negative."),
        ("1.234", "CNY", "Use at most 2 decimal places."),
        ("5.5", "JPY", "Use at most 0 decimal places."),
        ("abc", "CNY", "Enter an amount such as 12.50."),
        ("", "CNY", "Enter an amount such as 12.50."),
        ("12,50", "CNY", "Enter an amount such as 12.50."),
        ("NaN", "CNY", "Enter an amount such as 12.50."),
        ("sNaN", "CNY", "Enter an amount such as 12.50."),
        ("Infinity", "CNY", "Enter an amount such as 12.50."),
        ("-Infinity", "CNY", "Enter an amount such as 12.50."),
        ("100000000000", "CNY", "This amount is too large."),
        ("10000000000000", "JPY", "This amount is too large."),
        ("1e999999999", "CNY", "Enter an amount such as 12.50."),
        ("1e3", "CNY", "Enter an amount such as 12.50."),
        ("1_000", "CNY", "Enter an amount such as 12.50."),
        ("١٢", "CNY", "Enter an amount such as 12.50."),
        ("+5", "CNY", "Enter an amount such as 12.50."),
        ("9" * 60, "CNY", "This amount is too large."),
        # Tiny or over-precise values must not be rounded into an accepted price.
        ("1e-999999999", "CNY", "Enter an amount such as 12.50."),
        ("1.000000000000000000000000000001", "CNY", "Use at most 2 decimal places."),
    ],
)
def test_refuses_bad_amounts_naming_the_field(raw, currency, message):
    with pytest.raises(ValidationFailed) as caught:
        parse_amount(raw, currency, field="skus.0.ladder.1")
    assert caught.value.field == "skus.0.ladder.1"
    assert caught.value.code == "invalid"
    assert str(caught.value.message) == message


def test_refuses_an_unknown_currency_on_the_currency_field():
    with pytest.raises(ValidationFailed) as caught:
        parse_amount("1.00", "XYZ", field="price")
    assert (caught.value.field, str(caught.value.message)) == ("currency", "Unknown currency.")


def test_money_refuses_an_unknown_currency():
    with pytest.raises(ValidationFailed) as caught:
        Money(100, "XYZ")
    assert caught.value.field == "currency"


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (1250, "CNY", "¥12.50"),
        (123_456_789, "CNY", "¥1,234,567.89"),
        (0, "USD", "$0.00"),
        (5, "CNY", "¥0.05"),
        (1250, "EUR", "€12.50"),
        (99, "GBP", "£0.99"),
        (1234, "HKD", "HK$12.34"),
        (980, "JPY", "JP¥980"),
        (1_234_567, "KRW", "₩1,234,567"),
    ],
)
def test_formats_minor_units_with_symbol_and_exponent(minor, currency, text):
    assert format_minor(minor, currency) == text
    assert str(Money(minor, currency)) == text


def test_amount_is_an_exact_decimal():
    assert Money(1250, "CNY").amount == Decimal("12.50")
    assert Money(980, "JPY").amount == Decimal("980")


@pytest.mark.parametrize(
    ("minor", "rate", "source", "target", "converted"),
    [
        # 12.50 CNY * 0.138 = 1.725 USD: the half cent rounds up (banker's rounding gives 172).
        (1250, "0.138", "CNY", "USD", 173),
        # 12.50 CNY * 0.1372 = 1.715 USD -> 172; 12.50 * 0.13716 = 1.7145 -> 171
        (1250, "0.1372", "CNY", "USD", 172),
        (1250, "0.13716", "CNY", "USD", 171),
        # Into a zero-digit currency: 12.50 * 20.5 = 256.25 JPY -> 256; 12.50 * 20.52 = 256.5 -> 257
        (1250, "20.5", "CNY", "JPY", 256),
        (1250, "20.52", "CNY", "JPY", 257),
        # Out of a zero-digit currency: 1000 JPY * 0.0487 = 48.70 CNY
        (1000, "0.0487", "JPY", "CNY", 4870),
        (0, "0.138", "CNY", "USD", 0),
        (1, "1", "CNY", "CNY", 1),
    ],
)
def test_convert_rounds_half_up_into_the_target_exponent(minor, rate, source, target, converted):
    assert convert(minor, rate=Decimal(rate), source=source, target=target) == converted
