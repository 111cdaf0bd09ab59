from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from huoyuan.catalogue.selectors import ProductFilters, product_list_public
from huoyuan.search.backends import get_backend

if TYPE_CHECKING:
    from huoyuan.catalogue.models import Product

MAX_QUERY_LENGTH = 100


def product_search(*, query: str, filters: ProductFilters) -> QuerySet[Product]:
    query = " ".join(query.split())[:MAX_QUERY_LENGTH]
    products = product_list_public(filters=filters)
    if not query:
        return products
    return get_backend().filter_products(query=query, products=products)
