"""Keeping the embedded index in step with the catalogue.

Only public products (published, of an active supplier) are indexed: a draft or an archived
product is removed. What a product is found by: its titles (each stemmed in its own language) and
its category's names. The index only proposes ids; the catalogue's public queryset still decides
what a buyer sees, so a stale entry can never show a product that is not on sale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import QuerySet

from huoyuan.catalogue.selectors import ProductFilters, product_list_public
from huoyuan.search.analysis import document_tokens
from huoyuan.search.tantivy_engine import TantivyIndex

if TYPE_CHECKING:
    from huoyuan.catalogue.models import Product

BATCH = 1000
LANGUAGES = (("zh_hans", "zh"), ("en", "en"), ("de", "de"))


@cache
def _engine(path: str) -> TantivyIndex:
    return TantivyIndex(Path(path))


def product_index() -> TantivyIndex:
    """This process's handle on the index in ``SEARCH_INDEX_DIR``."""
    return _engine(str(settings.SEARCH_INDEX_DIR))


def product_tokens(product: Product) -> list[str]:
    tokens: list[str] = []
    for suffix, language in LANGUAGES:
        tokens += document_tokens(getattr(product, f"title_{suffix}", ""), language)
    category = product.category
    for suffix, language in LANGUAGES:
        tokens += document_tokens(getattr(category, f"name_{suffix}", ""), language)
    return tokens


def _public(ids: Iterable[int] | None = None) -> QuerySet[Product]:
    products = product_list_public(filters=ProductFilters()).order_by("pk")
    if ids is not None:
        products = products.filter(pk__in=list(ids))
    # The card's joins and prefetches are for listing pages: here only titles and category names.
    products = products.select_related(None).prefetch_related(None)
    return products.select_related("category").only(
        "pk",
        "category",
        *(f"title_{suffix}" for suffix, _lang in LANGUAGES),
        *(f"category__name_{suffix}" for suffix, _lang in LANGUAGES),
    )


def index_products(ids: list[int]) -> int:
    """Index these products as they are now (removed when no longer public); the count indexed."""
    public = list(_public(ids))
    gone = set(ids) - {p.pk for p in public}
    with product_index().writer() as writer:
        writer.delete(sorted(gone))
        return writer.upsert((p.pk, product_tokens(p)) for p in public)


def reindex_all(progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the index from the database in one commit (readers switch at once)."""
    total = product_list_public(filters=ProductFilters()).count()
    done = 0
    with product_index().writer() as writer:
        writer.clear()
        batch: list[tuple[int, list[str]]] = []
        for product in _public().iterator(chunk_size=BATCH):
            batch.append((product.pk, product_tokens(product)))
            if len(batch) == BATCH:
                done += writer.upsert(batch)
                batch = []
                if progress:
                    progress(done, total)
        done += writer.upsert(batch)
    if progress:
        progress(done, total)
    return done
