"""Buyer's payment pages: checkout, the providers' pages (sandbox confirm, bank transfer) and
paying again after a failed payment."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huoyuan.accounts.auth import acting
from huoyuan.core.errors import DomainError, NotFound
from huoyuan.core.money import format_minor
from huoyuan.core.web import apply_error, page_view
from huoyuan.orders import selectors as orders_selectors
from huoyuan.orders import services as orders
from huoyuan.orders.contracts import OrderStatus
from huoyuan.orders.errors import PricesChanged
from huoyuan.orders.services import CartQuote, trade_settings
from huoyuan.payments import sandbox, selectors, services
from huoyuan.payments.adapters import adapter_for
from huoyuan.payments.contracts import PaymentStatus
from huoyuan.payments.forms import CheckoutForm, parse_seen
from huoyuan.payments.views._common import BUYER, status_of

# --- checkout --------------------------------------------------------------------------------


def describe_changes(seen: dict[int, tuple[int, int, str, str]], quote: CartQuote) -> list[str]:
    """What differs between the quote the buyer looked at and the one checkout found."""
    now = {line.line_id: line for line in quote.lines}
    changes = []
    for line_id, (quantity, unit, currency, item) in seen.items():
        line = now.get(line_id)
        if line is None:
            changes.append(_("%(item)s is no longer in the cart.") % {"item": item})
            continue
        if (line.unit_price_minor, line.currency) != (unit, currency):
            changes.append(
                _("%(item)s: the unit price is now %(new)s (was %(old)s).")
                % {
                    "item": item,
                    "new": format_minor(line.unit_price_minor, line.currency),
                    "old": format_minor(unit, currency),
                }
            )
        if line.quantity != quantity:
            changes.append(
                _("%(item)s: the quantity is now %(new)s (was %(old)s).")
                % {"item": item, "new": line.quantity, "old": quantity}
            )
    for line_id, line in now.items():
        item = f"{line.product_title} ({line.sku_label})" if line.sku_label else line.product_title
        if line_id not in seen:
            changes.append(_("%(item)s was added to the cart.") % {"item": item})
        changes += [f"{item}: {problem}" for problem in line.problems]
    currencies = {currency for _q, _u, currency, _i in seen.values()}
    if changes and len(currencies) == 1 and quote.currencies == sorted(currencies):
        old_total = sum(q * u for q, u, _c, _i in seen.values())
        if old_total != quote.total_minor:
            currency = quote.currencies[0]
            changes.append(
                _("The total is now %(new)s (was %(old)s).")
                % {
                    "new": format_minor(quote.total_minor, currency),
                    "old": format_minor(old_total, currency),
                }
            )
    return changes


@page_view(kind=BUYER)
def checkout(request: HttpRequest) -> HttpResponse:
    actor = acting(request)
    quote = orders.cart_quote(actor=actor)
    if not quote.groups:
        messages.info(request, _("Your cart is empty: add products to it first."))
        return redirect("orders:cart")
    addresses = list(orders_selectors.address_list(actor=actor))
    form = CheckoutForm(request.POST or None, quote=quote, addresses=addresses)
    changes: list[str] = []
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 422
        else:
            data = form.cleaned_data
            try:
                submitted = services.checkout_submit(
                    actor=actor,
                    address_id=int(data["address"]),
                    payment_method=data["payment_method"],
                    quote_token=data["quote_token"],
                    notes=form.notes(),
                )
            except PricesChanged as error:
                # Nothing was placed or charged: show the cart as it is now, keep the choices.
                quote = orders.cart_quote(actor=actor)
                changes = describe_changes(parse_seen(data["seen"]), quote) or [str(error.message)]
                initial = {k: v for k, v in data.items() if k not in ("quote_token", "seen")}
                form = CheckoutForm(initial=initial, quote=quote, addresses=addresses)
                status = 409
            except DomainError as error:
                apply_error(form, error)
                status = status_of(error)
            else:
                messages.success(
                    request,
                    _("Order placed. Pay %(amount)s to confirm it.")
                    % {
                        "amount": format_minor(
                            submitted.payment.amount_minor, submitted.payment.currency
                        )
                    },
                )
                return redirect(submitted.next_url)
    groups = [(group, form.note_field(group.supplier_id)) for group in quote.groups]
    return render(
        request,
        "payments/checkout.html",
        {"quote": quote, "form": form, "groups": groups, "changes": changes},
        status=status,
    )


# --- paying ----------------------------------------------------------------------------------


@page_view(kind=BUYER)
def sandbox_confirm(request: HttpRequest, reference: str) -> HttpResponse:
    """The sandbox provider's hosted page: the buyer approves or declines the payment here."""
    actor = acting(request)
    payment = selectors.payment_get_for_buyer(actor=actor, reference=reference)
    if request.method == "POST":
        try:
            sandbox.sandbox_decide(
                actor=actor, reference=reference, outcome=request.POST.get("outcome", "")
            )
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            if request.POST.get("outcome") == "succeed":
                messages.success(
                    request,
                    _("Payment sent. Your orders show as paid as soon as the provider confirms."),
                )
            else:
                messages.info(request, _("You declined the payment; the orders wait for payment."))
        return redirect("orders:list")
    orders_ = orders_selectors.orders_of_checkout(checkout_id=payment.checkout_id)
    return render(request, "payments/sandbox_confirm.html", {"payment": payment, "orders": orders_})


@page_view(kind=BUYER)
def bank_transfer(request: HttpRequest, reference: str) -> HttpResponse:
    actor = acting(request)
    payment = selectors.payment_get_for_buyer(actor=actor, reference=reference)
    orders_ = orders_selectors.orders_of_checkout(checkout_id=payment.checkout_id)
    return render(
        request,
        "payments/bank_transfer.html",
        {"payment": payment, "orders": orders_, "settings": trade_settings()},
    )


@page_view(kind=BUYER)
def order_pay(request: HttpRequest, order_id: int) -> HttpResponse:
    """The order page's "Pay now": on to the payment's page, or (it failed) offer a new try."""
    actor = acting(request)
    order = orders_selectors.order_get(actor=actor, order_id=order_id)
    if order.buyer_id != actor.organization_id:
        raise Http404
    payment = selectors.payment_for_checkout(checkout_id=order.checkout_id)
    if payment is None:
        raise Http404
    if order.status != OrderStatus.PENDING_PAYMENT:
        messages.info(request, _("This order does not wait for payment."))
        return redirect("orders:detail", order_id=order.pk)
    if payment.status in (PaymentStatus.PENDING, PaymentStatus.PROCESSING):
        return redirect(adapter_for(payment.provider).next_url(payment))
    orders_ = orders_selectors.orders_of_checkout(checkout_id=payment.checkout_id)
    return render(
        request,
        "payments/pay_again.html",
        {"payment": payment, "order": order, "orders": orders_},
    )


@require_POST
@page_view(kind=BUYER)
def payment_retry(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        payment = services.payment_retry(actor=acting(request), reference=reference)
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("orders:list")
    return redirect(adapter_for(payment.provider).next_url(payment))
