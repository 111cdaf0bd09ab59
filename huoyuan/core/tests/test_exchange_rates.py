"""Display-only exchange rates: the operator sets them, visitors see approximate prices."""

import re
from decimal import Decimal

import pytest
from django.template import Context, Template

from huoyuan.catalogue.tests.factories import make_product
from huoyuan.core.errors import ValidationFailed
from huoyuan.core.models import ExchangeRate
from huoyuan.core.pagecache import CURRENCY_COOKIE
from huoyuan.core.selectors import display_currencies, exchange_rates
from huoyuan.core.services import exchange_rate_set

pytestmark = pytest.mark.django_db

APPROX = re.compile(r'<span class="approx"[^>]*>≈ ([^<]+)</span>')


@pytest.fixture
def set_rate(django_capture_on_commit_callbacks):
    """Set a rate the way the operator does, running the commit hooks (the cache is dropped)."""

    def set_(currency, per_cny, actor=None):
        with django_capture_on_commit_callbacks(execute=True):
            return exchange_rate_set(currency=currency, per_cny=Decimal(per_cny), actor=actor)

    return set_


# --- exchange_rate_set ---------------------------------------------------------------------------


def test_sets_and_updates_a_rate_in_one_row(set_rate, operator):
    set_rate("USD", "0.138", actor=operator.user)
    rate = set_rate("USD", "0.14", actor=operator.user)

    assert list(ExchangeRate.objects.values_list("currency", "per_cny", "updated_by")) == [
        ("USD", Decimal("0.14000000"), operator.user.pk)
    ]
    assert rate.per_cny == Decimal("0.14")
    assert exchange_rates() == {"USD": Decimal("0.14000000"), "CNY": Decimal(1)}


@pytest.mark.parametrize(
    ("currency", "per_cny", "field", "message"),
    [
        ("CNY", "1", "currency", "Unknown currency."),
        ("XYZ", "1", "currency", "Unknown currency."),
        ("usd", "0.138", "currency", "Unknown currency."),
        ("", "0.138", "currency", "Unknown currency."),
        ("USD", "0", "per_cny", "A rate must be greater than zero."),
        ("USD", "-0.138", "per_cny", "A rate must be greater than zero."),
    ],
)
def test_refuses_bad_rates_and_changes_nothing(set_rate, currency, per_cny, field, message):
    set_rate("EUR", "0.127")
    with pytest.raises(ValidationFailed) as caught:
        set_rate(currency, per_cny)
    assert (caught.value.field, str(caught.value.message)) == (field, message)
    assert list(ExchangeRate.objects.values_list("currency", "per_cny")) == [
        ("EUR", Decimal("0.12700000"))
    ]


def test_a_changed_rate_is_seen_at_once_despite_the_cache(set_rate):
    set_rate("USD", "0.138")
    assert exchange_rates()["USD"] == Decimal("0.138")
    set_rate("USD", "0.2")
    assert exchange_rates()["USD"] == Decimal("0.2")


def test_display_currencies_are_those_with_a_rate_in_settings_order(set_rate):
    assert display_currencies() == ["CNY"]
    set_rate("JPY", "20.5")
    set_rate("USD", "0.138")
    set_rate("AUD", "0.21")  # has a rate, but is not a display currency
    assert display_currencies() == ["CNY", "USD", "JPY"]


# --- GET /api/exchange-rates ---------------------------------------------------------------------


def test_api_lists_display_rates_for_anyone(set_rate, anonymous):
    set_rate("JPY", "20.5")
    set_rate("USD", "0.138")

    response = anonymous.api("GET", "/api/exchange-rates")

    assert response.status_code == 200
    assert response.json() == [
        {"currency": "CNY", "per_cny": "1", "approximate": True},
        {"currency": "USD", "per_cny": "0.13800000", "approximate": True},
        {"currency": "JPY", "per_cny": "20.50000000", "approximate": True},
    ]


def test_api_lists_only_the_yuan_before_any_rate_is_set(anonymous):
    response = anonymous.api("GET", "/api/exchange-rates")
    assert response.json() == [{"currency": "CNY", "per_cny": "1", "approximate": True}]


# --- the {% price %} tag -------------------------------------------------------------------------


def render_price(minor, currency, display_currency):
    template = Template("{% load money %}{% price minor currency %}")
    return template.render(
        Context({"minor": minor, "currency": currency, "display_currency": display_currency})
    )


def test_price_tag_shows_no_conversion_in_the_listing_currency(set_rate):
    set_rate("USD", "0.138")
    assert render_price(1250, "CNY", "CNY") == '<span class="price">¥12.50</span>'
    assert render_price(1250, "CNY", None) == '<span class="price">¥12.50</span>'


def test_price_tag_adds_an_approximate_conversion(set_rate):
    set_rate("USD", "0.138")
    html = render_price(1250, "CNY", "USD")
    assert html.startswith('<span class="price">¥12.50</span> <span class="approx" title="')
    assert "you pay in CNY." in html
    assert APPROX.findall(html) == ["$1.73"]


def test_price_tag_converts_between_two_foreign_currencies(set_rate):
    set_rate("USD", "0.138")
    set_rate("JPY", "20.7")
    # 12.50 USD = 12.50 / 0.138 * 20.7 JPY = 1875 JPY
    assert APPROX.findall(render_price(1250, "USD", "JPY")) == ["JP¥1,875"]
    # 12.50 USD = 90.579... CNY -> ¥90.58
    assert APPROX.findall(render_price(1250, "USD", "CNY")) == ["¥90.58"]


def test_price_tag_shows_only_the_price_without_a_rate_for_the_visitor_currency(set_rate):
    set_rate("USD", "0.138")
    assert render_price(1250, "CNY", "EUR") == '<span class="price">¥12.50</span>'
    assert render_price(1250, "CNY", "XYZ") == '<span class="price">¥12.50</span>'


def test_price_tag_shows_a_dash_for_no_price():
    assert render_price(None, "CNY", "USD") == "–"


# --- the visitor's choice, through /currency/ (a link; POST works too) ---------------------------


def test_product_page_shows_approximate_prices_in_the_chosen_currency(
    set_rate, supplier_a, category, anonymous
):
    set_rate("USD", "0.138")
    product = make_product(supplier_a.actor, category)
    client = anonymous.client

    chosen = client.post("/currency/", {"currency": "USD", "next": f"/p/{product.pk}/"})
    page = client.get(f"/p/{product.pk}/")

    assert (chosen.status_code, chosen["Location"]) == (302, f"/p/{product.pk}/")
    assert client.cookies[CURRENCY_COOKIE].value == "USD"
    html = page.content.decode()
    ladder = html[html.index('<table class="ladder"') : html.index("</table>")]
    # ¥12.50 -> $1.725 -> $1.73; ¥11.00 -> $1.518 -> $1.52; ¥9.80 -> $1.3524 -> $1.35
    assert APPROX.findall(ladder) == ["$1.73", "$1.52", "$1.35"]
    assert '<span class="price">¥12.50</span> <span class="approx"' in ladder


def test_product_page_shows_no_conversion_when_the_currency_is_the_listings(
    set_rate, supplier_a, category, anonymous
):
    set_rate("USD", "0.138")
    product = make_product(supplier_a.actor, category)
    client = anonymous.client
    client.post("/currency/", {"currency": "USD"})

    client.post("/currency/", {"currency": "CNY"})
    page = client.get(f"/p/{product.pk}/")

    assert client.cookies[CURRENCY_COOKIE].value == "CNY"
    html = page.content.decode()
    assert "≈" not in html
    assert '<span class="price">¥12.50</span>' in html


def test_choosing_a_currency_without_a_rate_changes_nothing(set_rate, anonymous):
    set_rate("USD", "0.138")
    client = anonymous.client
    client.post("/currency/", {"currency": "USD"})

    for currency in ("EUR", "XYZ", ""):
        response = client.post("/currency/", {"currency": currency})
        assert (response.status_code, response["Location"]) == (302, "/")

    assert client.cookies[CURRENCY_COOKIE].value == "USD"


def test_choosing_a_currency_never_redirects_off_site(set_rate, anonymous):
    set_rate("USD", "0.138")
    response = anonymous.client.post(
        "/currency/", {"currency": "USD", "next": "https://evil.example/phish"}
    )
    assert response["Location"] == "/"


def test_choosing_a_currency_is_a_plain_link(set_rate, anonymous):
    set_rate("USD", "0.138")
    response = anonymous.client.get("/currency/", {"currency": "USD", "next": "/suppliers/"})
    assert (response.status_code, response["Location"]) == (302, "/suppliers/")
    assert anonymous.client.cookies[CURRENCY_COOKIE].value == "USD"
    assert "sessionid" not in anonymous.client.cookies


def test_choosing_a_language_sets_the_language_cookie(anonymous):
    response = anonymous.client.get("/language/", {"language": "de", "next": "/"})
    assert (response.status_code, response["Location"]) == (302, "/")
    assert anonymous.client.cookies["django_language"].value == "de"
    assert 'lang="de"' in anonymous.client.get("/").content.decode()


def test_an_unknown_language_changes_nothing(anonymous):
    response = anonymous.client.get(
        "/language/", {"language": "xx", "next": "https://evil.example/"}
    )
    assert (response.status_code, response["Location"]) == (302, "/")
    assert "django_language" not in anonymous.client.cookies


def test_each_language_is_named_in_itself_whatever_the_page_language(anonymous):
    for accept in ("zh-hans", "en", "de"):
        html = anonymous.client.get("/suppliers/", HTTP_ACCEPT_LANGUAGE=accept).content.decode()
        assert ">简体中文</a>" in html
        assert ">English</a>" in html
        assert ">Deutsch</a>" in html
