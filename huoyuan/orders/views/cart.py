"""The header's trade links and the buyer's cart: add from the product page, change a quantity,
remove a line (htmx gets the re-priced cart back)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huoyuan.accounts.auth import acting, current_actor
from huoyuan.accounts.contracts import Actor
from huoyuan.core.errors import DomainError, NotFound, ValidationFailed
from huoyuan.core.web import page_view
from huoyuan.notifications.selectors import unread_count
from huoyuan.orders import services
from huoyuan.orders.cart import cart_lines
from huoyuan.orders.contracts import LineKind
from huoyuan.orders.forms import CartAddForm, CartLineForm
from huoyuan.orders.selectors import sku_from_product_page
from huoyuan.orders.views._common import BUYER, _htmx, _status_of

# --- navigation ------------------------------------------------------------------------------


def nav(request: HttpRequest) -> HttpResponse:
    """The header's trade links with their counts, fetched by htmx after the page loaded, so no
    page (cached public ones included) pays for them. Signed out: nothing to show (204)."""
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    actor = current_actor(request)
    counts: dict[str, int] = {}
    if actor is not None:
        counts["unread"] = unread_count(organization_id=actor.organization_id)
        if actor.is_buyer:
            counts["cart"] = cart_lines(buyer_id=actor.organization_id).count()
    return render(request, "orders/_nav.html", {"counts": counts, "refreshed": True})


# --- cart ------------------------------------------------------------------------------------


def _cart_response(
    request: HttpRequest,
    actor: Actor,
    *,
    error: tuple[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The cart page, or (htmx) the re-priced cart alone; ``error``: (line id, message)."""
    context: dict[str, Any] = {"quote": services.cart_quote(actor=actor)}
    if error is not None:
        context["error_line"], context["error_text"] = error
    if _htmx(request):
        response = render(request, "orders/_cart.html", context, status=status)
        response["HX-Trigger"] = "cart-changed"
        return response
    return render(request, "orders/cart.html", context, status=status)


@page_view(kind=BUYER)
def cart(request: HttpRequest) -> HttpResponse:
    return _cart_response(request, acting(request))


@require_POST
@page_view(kind=BUYER)
def cart_line(request: HttpRequest, line_id: int) -> HttpResponse:
    """A new quantity for one line (0 removes it); htmx gets the re-priced cart back."""
    actor = acting(request)
    form = CartLineForm(request.POST)
    if not form.is_valid():
        return _cart_response(
            request, actor, error=(line_id, str(form.errors["quantity"][0])), status=422
        )
    try:
        services.cart_set_quantity(
            actor=actor, line_id=line_id, quantity=form.cleaned_data["quantity"]
        )
    except NotFound:
        raise
    except DomainError as error:
        return _cart_response(
            request, actor, error=(line_id, str(error.message)), status=_status_of(error)
        )
    if _htmx(request):
        return _cart_response(request, actor)
    messages.success(request, _("Cart updated."))
    return redirect("orders:cart")


@require_POST
@page_view(kind=BUYER)
def cart_remove(request: HttpRequest, line_id: int) -> HttpResponse:
    actor = acting(request)
    services.cart_remove(actor=actor, line_id=line_id)
    if _htmx(request):
        return _cart_response(request, actor)
    messages.success(request, _("Removed from the cart."))
    return redirect("orders:cart")


def _sku_for(form: CartAddForm) -> Any:
    """The SKU the product page asked for: by id, or by product and code (the quote form)."""
    data = form.cleaned_data
    return sku_from_product_page(
        product_id=data["product_id"], sku_id=data.get("sku_id"), sku_code=data.get("sku") or ""
    )


def _product_url(item: Any, **query: Any) -> str:
    url = reverse("catalogue:product", args=[item.product_id])
    return f"{url}?{urlencode(query)}" if query else url


@require_POST
@page_view(kind=BUYER)
def cart_add(request: HttpRequest) -> HttpResponse:
    """The product page's "Add to cart" and "Order a sample"; back to the product with a message."""
    actor = acting(request)
    form = CartAddForm(request.POST)
    if not form.is_valid():
        if "product_id" in form.errors:
            raise Http404  # no product to go back to: not a request the product page makes
        messages.error(request, str(next(iter(form.errors.values()))[0]))
        query = {"sku": form.cleaned_data.get("sku") or ""}
        product_url = reverse("catalogue:product", args=[form.cleaned_data["product_id"]])
        return redirect(f"{product_url}?{urlencode(query)}" if query["sku"] else product_url)
    sku = _sku_for(form)
    kind = form.cleaned_data["kind"] or LineKind.WHOLESALE
    quantity = form.cleaned_data["quantity"]
    # Back to the product, priced for what was added (a sample's count is no wholesale quantity).
    wholesale = kind == LineKind.WHOLESALE
    back = _product_url(sku, sku=sku.code, **({"quantity": quantity} if wholesale else {}))
    try:
        if kind == LineKind.SAMPLE and quantity > sku.sample_limit:
            raise ValidationFailed(
                _("At most %(limit)s samples per order.") % {"limit": sku.sample_limit},
                field="quantity",
            )
        services.cart_add(actor=actor, sku_id=sku.pk, quantity=quantity, kind=kind)
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect(back)
    item = f"{sku.product} ({sku.label})" if sku.label else str(sku.product)
    if wholesale:
        text = _("Added %(n)s × %(item)s to your cart.")
    else:
        text = _("Added %(n)s sample(s) of %(item)s to your cart.")
    messages.success(request, text % {"n": quantity, "item": item})
    return redirect(back)
