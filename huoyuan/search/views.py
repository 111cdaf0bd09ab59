from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from huoyuan.catalogue.views import filters_from_request, sort_labels
from huoyuan.core.pagecache import cache_public_page
from huoyuan.core.web import paginate
from huoyuan.search.selectors import MAX_QUERY_LENGTH, product_search
from huoyuan.suppliers.selectors import belt_list


@cache_public_page("q", "sort", "price_min", "price_max", "moq_max", "belt", "verified", "dropship")
def results(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    filters = filters_from_request(request)
    page = paginate(request, product_search(query=query, filters=filters))
    return render(
        request,
        "search/results.html",
        {
            "query": query,
            "page": page,
            "filters": filters,
            "belts": belt_list(),
            "sorts": sort_labels(),
        },
    )
