"""The seam for search engines: a backend narrows a product queryset to the matches of a query.

The database backend here is the foundation's plain keyword search; the full engine (tantivy,
PostgreSQL full text, cross-lingual embeddings) plugs in behind the same function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.db.models import Q, QuerySet

if TYPE_CHECKING:
    from huoyuan.catalogue.models import Product

MAX_TERMS = 8


class ProductSearchBackend(Protocol):
    def filter_products(self, *, query: str, products: QuerySet[Product]) -> QuerySet[Product]: ...


class DatabaseKeywordBackend:
    """Every whitespace-separated term must occur in a title, a description or the category name."""

    def filter_products(self, *, query: str, products: QuerySet[Product]) -> QuerySet[Product]:
        terms = [t for t in query.split() if t][:MAX_TERMS]
        for term in terms:
            products = products.filter(
                Q(title_zh_hans__icontains=term)
                | Q(title_en__icontains=term)
                | Q(title_de__icontains=term)
                | Q(description_zh_hans__icontains=term)
                | Q(description_en__icontains=term)
                | Q(description_de__icontains=term)
                | Q(category__name_zh_hans__icontains=term)
                | Q(category__name_en__icontains=term)
                | Q(category__name_de__icontains=term)
            )
        return products


class TantivyBackend:
    """The embedded engine proposes the best matches; the public queryset decides what shows."""

    def filter_products(self, *, query: str, products: QuerySet[Product]) -> QuerySet[Product]:
        from huoyuan.search.analysis import query_terms
        from huoyuan.search.index import product_index

        engine = product_index()
        engine.reload()  # what the worker committed since the last search
        hits = engine.search(query_terms(query), limit=MAX_HITS)
        return products.filter(pk__in=[product_id for product_id, _score in hits])


MAX_HITS = 2000

_BACKENDS: dict[str, type[ProductSearchBackend]] = {
    "database": DatabaseKeywordBackend,
    "tantivy": TantivyBackend,
}


def get_backend() -> ProductSearchBackend:
    return _BACKENDS[settings.SEARCH_BACKEND]()
