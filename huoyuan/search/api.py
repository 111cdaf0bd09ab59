# No `from __future__ import annotations` here: ninja's @paginate resolves the wrapped view's
# string annotations in its own module, where `Query[...]` is undefined (a 500 on every call).

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import PageNumberPagination, paginate

from huoyuan.catalogue.api import ProductQuery, filters_from_query
from huoyuan.catalogue.schemas import ProductCardOut
from huoyuan.search.selectors import product_search

router = Router(tags=["search"])


@router.get("/search/products", response=list[ProductCardOut])
@paginate(PageNumberPagination)
def search_products(request: HttpRequest, q: str = "", filters: Query[ProductQuery] = None):  # type: ignore[no-untyped-def,assignment]
    return product_search(query=q, filters=filters_from_query(filters or ProductQuery()))
