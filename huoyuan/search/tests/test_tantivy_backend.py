"""The embedded engine behind the search seam: product changes reach it on commit, drafts and
products no longer on sale never show, and a reindex rebuilds it from the database."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management import call_command
from django.test import TestCase

from huoyuan.accounts.models import Organization
from huoyuan.catalogue.models import Category, Product
from huoyuan.catalogue.selectors import ProductFilters
from huoyuan.catalogue.services import product_set_status, product_update
from huoyuan.catalogue.tests.factories import make_product, product_input, sku
from huoyuan.search import index
from huoyuan.search.selectors import product_search

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def tantivy(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """The embedded backend with an index of this test's own."""
    settings.SEARCH_BACKEND = "tantivy"
    settings.SEARCH_INDEX_DIR = tmp_path / "search-index"
    index._engine.cache_clear()
    yield settings.SEARCH_INDEX_DIR
    index._engine.cache_clear()


def found(query: str) -> list[int]:
    return sorted(p.pk for p in product_search(query=query, filters=ProductFilters()))


def bowl(person: Person, category: Category, **overrides: Any) -> Product:
    assert person.actor is not None
    with TestCase.captureOnCommitCallbacks(execute=True):
        return make_product(
            person.actor,
            category,
            title_zh_hans="酒红色陶瓷碗",
            title_en="Ceramic Bowl",
            title_de="Keramikschüssel",
            skus=[sku("BOWL")],
            **overrides,
        )


def test_changes_reach_the_index_on_commit(
    tantivy: Path, supplier_a: Person, category: Category
) -> None:
    assert supplier_a.actor is not None
    product = bowl(supplier_a, category)
    assert found("酒红碗") == found("bowls") == found("Keramikschüsseln") == [product.pk]
    assert found("餐具") == [product.pk]  # its category's name
    assert found("玻璃杯") == []
    with TestCase.captureOnCommitCallbacks(execute=True):
        product_update(
            actor=supplier_a.actor,
            product_id=product.pk,
            data=product_input(category, title_en="Glass Cup", skus=[sku("BOWL")]),
        )
    assert found("bowl") == []
    assert found("cups") == [product.pk]
    with TestCase.captureOnCommitCallbacks(execute=True):
        product_set_status(actor=supplier_a.actor, product_id=product.pk, status="archived")
    assert found("cups") == []
    assert index.product_index().count() == 0


def test_drafts_are_never_indexed_and_an_inactive_suppliers_products_never_show(
    tantivy: Path, supplier_a: Person, supplier_b: Person, category: Category
) -> None:
    bowl(supplier_a, category, publish=False)
    assert index.product_index().count() == 0
    other = bowl(supplier_b, category)
    assert found("bowl") == [other.pk]
    Organization.objects.filter(pk=other.supplier_id).update(is_active=False)
    assert found("bowl") == []  # still in the index until the next change: never shown


def test_reindex_rebuilds_from_the_database_with_progress(
    tantivy: Path, supplier_a: Person, category: Category
) -> None:
    assert supplier_a.actor is not None
    for title in ("Ceramic Bowl", "Tea Cup", "Vase"):  # committed without indexing
        make_product(supplier_a.actor, category, title_en=title, skus=[sku("A-1")])
    make_product(supplier_a.actor, category, title_en="Draft Plate", publish=False)
    assert found("cup") == []
    out = StringIO()
    call_command("search_reindex", stdout=out)
    assert "indexed 3 of 3 products (100 %)" in out.getvalue()
    assert "search index rebuilt, products indexed: 3" in out.getvalue()
    assert index.product_index().count() == 3
    assert len(found("cup")) == 1
    assert found("plate") == []


def test_the_search_page_uses_the_embedded_engine(
    tantivy: Path, supplier_a: Person, category: Category, client: Any
) -> None:
    product = bowl(supplier_a, category)
    response = client.get("/search/", {"q": "酒红碗"})
    assert response.status_code == 200
    assert f"/p/{product.pk}/" in response.content.decode()


def test_the_database_backend_leaves_the_index_alone(
    settings: Any, tmp_path: Path, supplier_a: Person, category: Category
) -> None:
    settings.SEARCH_INDEX_DIR = tmp_path / "search-index"
    bowl(supplier_a, category)
    assert not settings.SEARCH_INDEX_DIR.exists()


def test_the_huoyuan_command_rebuilds_the_index(
    tantivy: Path, supplier_a: Person, category: Category, capsys: Any
) -> None:
    from huoyuan.cli import main

    assert supplier_a.actor is not None
    make_product(supplier_a.actor, category, title_en="Tea Cup", skus=[sku("A-1")])
    assert main(["search", "reindex"]) == 0
    assert "search index rebuilt, products indexed: 1" in capsys.readouterr().out
    assert index.product_index().count() == 1
