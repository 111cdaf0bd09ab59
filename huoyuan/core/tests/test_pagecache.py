"""The anonymous page cache: fast repeat visits, never stale after a change, never personal."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from huoyuan.catalogue.services import product_set_status
from huoyuan.catalogue.tests.factories import make_product
from huoyuan.core.services import exchange_rate_set

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 60
    cache.clear()


def test_a_repeat_anonymous_visit_is_served_from_the_cache(anonymous, supplier_a, category):
    make_product(supplier_a.actor, category)
    first = anonymous.client.get("/c/tableware/")
    second = anonymous.client.get("/c/tableware/")
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert second.content == first.content
    assert (
        "Wine-red ceramic bowl" in second.content.decode()
        or "酒红陶瓷碗" in second.content.decode()
    )


def test_a_change_to_a_product_shows_on_the_next_request(
    anonymous, supplier_a, category, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        product = make_product(supplier_a.actor, category, title_en="First bowl", title_zh_hans="")
    anonymous.client.get("/c/tableware/", HTTP_ACCEPT_LANGUAGE="en")
    with django_capture_on_commit_callbacks(execute=True):
        product_set_status(actor=supplier_a.actor, product_id=product.pk, status="archived")
    after = anonymous.client.get("/c/tableware/", HTTP_ACCEPT_LANGUAGE="en")
    assert after["X-Page-Cache"] == "miss"
    assert "First bowl" not in after.content.decode()


def test_an_exchange_rate_change_shows_on_the_next_request(
    anonymous, supplier_a, category, django_capture_on_commit_callbacks
):
    make_product(supplier_a.actor, category)
    anonymous.client.cookies["huoyuan_currency"] = "USD"
    with django_capture_on_commit_callbacks(execute=True):
        exchange_rate_set(currency="USD", per_cny=Decimal("0.1"))
    assert "$1.25" in anonymous.client.get("/c/tableware/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        exchange_rate_set(currency="USD", per_cny=Decimal("0.2"))
    again = anonymous.client.get("/c/tableware/")
    assert again["X-Page-Cache"] == "miss"
    assert "$2.50" in again.content.decode()


def test_languages_and_currencies_are_cached_apart(anonymous, supplier_a, category):
    make_product(supplier_a.actor, category)
    english = anonymous.client.get("/c/tableware/", HTTP_ACCEPT_LANGUAGE="en")
    german = anonymous.client.get("/c/tableware/", HTTP_ACCEPT_LANGUAGE="de")
    assert (english["X-Page-Cache"], german["X-Page-Cache"]) == ("miss", "miss")
    assert 'lang="de"' in german.content.decode()
    assert 'lang="en"' in english.content.decode()


def test_signed_in_people_always_get_a_fresh_render(supplier_a, category):
    make_product(supplier_a.actor, category)
    supplier_a.client.get("/c/tableware/")
    response = supplier_a.client.get("/c/tableware/")
    assert "X-Page-Cache" not in response
    assert "csrfmiddlewaretoken" in response.content.decode()  # their logout form


def test_unknown_query_parameters_bypass_the_cache(anonymous, category):
    anonymous.client.get("/c/tableware/?utm_source=x")
    response = anonymous.client.get("/c/tableware/?utm_source=x")
    assert "X-Page-Cache" not in response


@pytest.mark.parametrize("path", ["/", "/c/tableware/", "/search/?q=bowl", "/suppliers/"])
def test_cached_public_pages_hold_no_csrf_token_or_session(anonymous, category, path):
    response = anonymous.client.get(path)
    assert response["X-Page-Cache"] == "miss"
    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert "csrftoken" not in response.cookies
    assert "sessionid" not in response.cookies


def test_a_visitor_with_a_session_is_not_served_from_the_cache(anonymous, category):
    anonymous.client.get("/c/tableware/")
    anonymous.client.cookies["sessionid"] = "whatever"
    assert "X-Page-Cache" not in anonymous.client.get("/c/tableware/")
