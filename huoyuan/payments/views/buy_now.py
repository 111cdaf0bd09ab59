"""Buy now (立即订购) from the product page: the checkout page for one SKU, past the cart.

The product page posts its SKU, quantity and kind here; the first post shows the review (price,
address, payment method, a note), the second (with the quote token it showed) places the order.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huoyuan.accounts.auth import acting
from huoyuan.core.errors import DomainError, NotFound
from huoyuan.core.money import format_minor
from huoyuan.core.web import apply_error, page_view
from huoyuan.orders import selectors as orders_selectors
from huoyuan.orders import services as orders
from huoyuan.orders.contracts import LineKind
from huoyuan.orders.errors import PricesChanged
from huoyuan.orders.forms import CartAddForm
from huoyuan.payments import services
from huoyuan.payments.forms import CheckoutForm, parse_seen
from huoyuan.payments.views._common import BUYER, status_of
from huoyuan.payments.views.checkout import describe_changes


def _back(product_id: int, **query: object) -> str:
    url = reverse("catalogue:product", args=[product_id])
    return f"{url}?{urlencode(query)}" if query else url


@require_POST
@page_view(kind=BUYER)
def buy_now(request: HttpRequest) -> HttpResponse:
    actor = acting(request)
    item = CartAddForm(request.POST)
    if not item.is_valid():
        if "product_id" in item.errors:
            raise Http404  # no product to go back to: not a request the product page makes
        messages.error(request, str(next(iter(item.errors.values()))[0]))
        return redirect(_back(item.cleaned_data["product_id"]))
    data = item.cleaned_data
    sku = orders_selectors.sku_from_product_page(
        product_id=data["product_id"], sku_id=data.get("sku_id"), sku_code=data.get("sku") or ""
    )
    kind = data["kind"] or LineKind.WHOLESALE
    quantity = data["quantity"]
    try:
        quote = orders.buy_now_quote(actor=actor, sku_id=sku.pk, quantity=quantity, kind=kind)
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect(_back(sku.product_id, sku=sku.code))
    addresses = list(orders_selectors.address_list(actor=actor))
    placing = "quote_token" in request.POST
    form = CheckoutForm(request.POST if placing else None, quote=quote, addresses=addresses)
    changes: list[str] = []
    status = 200
    if placing:
        if not form.is_valid():
            status = 422
        else:
            chosen = form.cleaned_data
            try:
                submitted = services.buy_now_submit(
                    actor=actor,
                    sku_id=sku.pk,
                    quantity=quantity,
                    kind=kind,
                    address_id=int(chosen["address"]),
                    payment_method=chosen["payment_method"],
                    quote_token=chosen["quote_token"],
                    note=form.notes().get(quote.groups[0].supplier_id, ""),
                )
            except PricesChanged as error:
                # Nothing was placed or charged: show the price as it is now, keep the choices.
                quote = orders.buy_now_quote(
                    actor=actor, sku_id=sku.pk, quantity=quantity, kind=kind
                )
                changes = describe_changes(parse_seen(chosen["seen"]), quote) or [
                    str(error.message)
                ]
                initial = {k: v for k, v in chosen.items() if k not in ("quote_token", "seen")}
                form = CheckoutForm(initial=initial, quote=quote, addresses=addresses)
                status = 409
            except DomainError as error:
                apply_error(form, error)
                status = status_of(error)
            else:
                amount = format_minor(submitted.payment.amount_minor, submitted.payment.currency)
                messages.success(
                    request, _("Order placed. Pay %(amount)s to confirm it.") % {"amount": amount}
                )
                return redirect(submitted.next_url)
    groups = [(group, form.note_field(group.supplier_id)) for group in quote.groups]
    item_fields = {
        "product_id": sku.product_id,
        "sku_id": sku.pk,
        "quantity": quantity,
        "kind": kind,
    }
    return render(
        request,
        "payments/checkout.html",
        {
            "quote": quote,
            "form": form,
            "groups": groups,
            "changes": changes,
            "buy_now": item_fields,
            "back_url": _back(sku.product_id, sku=sku.code, quantity=quantity),
        },
        status=status,
    )
