"""Pages of the trade loop (placeholder routes filled in by the pages slice)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from huoyuan.accounts.auth import acting
from huoyuan.core.web import page_view, paginate
from huoyuan.orders import selectors


@page_view()
def order_list(request: HttpRequest) -> HttpResponse:
    actor = acting(request)
    if actor.is_supplier:
        orders = selectors.order_list_for_supplier(
            actor=actor, status=request.GET.get("status", "all")
        )
    else:
        orders = selectors.order_list_for_buyer(
            actor=actor, status=request.GET.get("status", "all")
        )
    return render(request, "orders/order_list.html", {"page": paginate(request, orders)})


@page_view()
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get(actor=acting(request), order_id=order_id)
    return render(request, "orders/order_detail.html", {"order": order})
