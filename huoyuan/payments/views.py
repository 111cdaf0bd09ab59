"""Payment pages: checkout, the providers' pages, paying again, the supplier's balance and payouts,
and the operator's bank-transfer matching, payout marking and ledger."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huoyuan.accounts.auth import acting
from huoyuan.accounts.contracts import MANAGER_ROLES, Actor, OrganizationKind
from huoyuan.core.errors import DomainError, NotFound, ValidationFailed
from huoyuan.core.money import format_minor, parse_amount
from huoyuan.core.web import apply_error, page_view, paginate
from huoyuan.ledger import selectors as ledger
from huoyuan.orders import selectors as orders_selectors
from huoyuan.orders import services as orders
from huoyuan.orders.contracts import OrderStatus
from huoyuan.orders.errors import PricesChanged
from huoyuan.orders.services import CartQuote, trade_settings
from huoyuan.payments import sandbox, selectors, services
from huoyuan.payments.adapters import adapter_for
from huoyuan.payments.contracts import PaymentStatus, PayoutStatus
from huoyuan.payments.forms import (
    BankTransferMatchForm,
    CheckoutForm,
    PayoutAccountForm,
    PayoutPaidForm,
    PayoutRequestForm,
    parse_seen,
)

BUYER = OrganizationKind.BUYER
SUPPLIER = OrganizationKind.SUPPLIER
OPERATOR = OrganizationKind.OPERATOR


def _status_of(error: DomainError) -> int:
    return error.status if 400 <= error.status < 500 else 400


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
                status = _status_of(error)
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


# --- the supplier's balance ------------------------------------------------------------------


def _balance_page(
    request: HttpRequest,
    actor: Actor,
    *,
    account_form: PayoutAccountForm | None = None,
    payout_form: PayoutRequestForm | None = None,
    status: int = 200,
) -> HttpResponse:
    balances = selectors.supplier_balances(actor=actor)
    account = selectors.payout_account_for(actor=actor)
    payable = [b.currency for b in balances if b.available_minor > 0]
    if account_form is None:
        initial = (
            {"holder_name": account.holder_name, "bank_name": account.bank_name}
            if account
            else None
        )
        account_form = PayoutAccountForm(initial=initial)
    payouts = Paginator(selectors.payout_list_for_supplier(actor=actor), 10)
    return render(
        request,
        "payments/balance.html",
        {
            "balances": balances,
            "account": account,
            "account_form": account_form,
            "payout_form": payout_form or PayoutRequestForm(currencies=payable),
            "payable": payable,
            "page": paginate(
                request,
                ledger.entries_for_organization(organization_id=actor.organization_id),
                per_page=25,
            ),
            "payouts": payouts.get_page(request.GET.get("payouts_page")),
            "can_manage": actor.role in MANAGER_ROLES,
        },
        status=status,
    )


@page_view(kind=SUPPLIER)
def balance(request: HttpRequest) -> HttpResponse:
    return _balance_page(request, acting(request))


@require_POST
@page_view(kind=SUPPLIER)
def payout_account(request: HttpRequest) -> HttpResponse:
    actor = acting(request)
    form = PayoutAccountForm(request.POST)
    if not form.is_valid():
        return _balance_page(request, actor, account_form=form, status=422)
    try:
        services.payout_account_set(actor=actor, **form.cleaned_data)
    except DomainError as error:
        apply_error(form, error)
        return _balance_page(request, actor, account_form=form, status=_status_of(error))
    messages.success(request, _("Payout account saved."))
    return redirect("payments:balance")


@require_POST
@page_view(kind=SUPPLIER)
def payout_request(request: HttpRequest) -> HttpResponse:
    actor = acting(request)
    payable = [b.currency for b in selectors.supplier_balances(actor=actor) if b.available_minor]
    form = PayoutRequestForm(request.POST, currencies=payable)
    if not form.is_valid():
        return _balance_page(request, actor, payout_form=form, status=422)
    try:
        payout = services.payout_request(actor=actor, currency=form.cleaned_data["currency"])
    except DomainError as error:
        apply_error(form, error)
        return _balance_page(request, actor, payout_form=form, status=_status_of(error))
    messages.success(
        request,
        _("Payout of %(amount)s requested; the operator sends it to your bank account.")
        % {"amount": format_minor(payout.amount_minor, payout.currency)},
    )
    return redirect("payments:balance")


# --- the operator ----------------------------------------------------------------------------


@page_view(kind=OPERATOR)
def bank_transfers(request: HttpRequest) -> HttpResponse:
    """Pending bank transfers, and the form to match one that arrived on the bank statement."""
    actor = acting(request)
    form = BankTransferMatchForm(
        request.POST or None, initial={"reference": request.GET.get("reference", "")[:20]}
    )
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 422
        else:
            data = form.cleaned_data
            try:
                currency = selectors.payment_currency(reference=data["reference"])
                if currency is None:
                    raise ValidationFailed(
                        _("No bank-transfer payment has this reference."), field="reference"
                    )
                payment = services.bank_transfer_match(
                    actor=actor,
                    reference=data["reference"],
                    amount_minor=parse_amount(data["amount"], currency, field="amount"),
                    bank_reference=data["bank_reference"],
                )
            except DomainError as error:
                apply_error(form, error)
                status = _status_of(error)
            else:
                messages.success(
                    request,
                    _("Payment %(reference)s matched: its orders are paid.")
                    % {"reference": payment.reference},
                )
                return redirect("payments:bank_transfers")
    return render(
        request,
        "payments/operator_bank_transfers.html",
        {"page": paginate(request, selectors.bank_transfers_pending(), per_page=50), "form": form},
        status=status,
    )


PAYOUT_TABS = [
    (PayoutStatus.REQUESTED.value, PayoutStatus.REQUESTED.label),
    (PayoutStatus.PAID.value, PayoutStatus.PAID.label),
    ("all", None),
]


def _payouts_page(
    request: HttpRequest, *, bound: tuple[int, PayoutPaidForm] | None = None, status: int = 200
) -> HttpResponse:
    tab = request.GET.get("status", PayoutStatus.REQUESTED)
    tab = tab if tab in dict(PAYOUT_TABS) else PayoutStatus.REQUESTED
    payouts = selectors.payout_list_for_operator(status=None if tab == "all" else tab)
    tabs = [(key, label or _("All")) for key, label in PAYOUT_TABS]
    context: dict[str, Any] = {"page": paginate(request, payouts, per_page=50), "tabs": tabs}
    context["tab"] = tab
    if bound is not None:
        context["bound_id"], context["bound_form"] = bound
    return render(request, "payments/operator_payouts.html", context, status=status)


@page_view(kind=OPERATOR)
def payouts(request: HttpRequest) -> HttpResponse:
    return _payouts_page(request)


@require_POST
@page_view(kind=OPERATOR)
def payout_paid(request: HttpRequest, payout_id: int) -> HttpResponse:
    form = PayoutPaidForm(request.POST)
    if not form.is_valid():
        return _payouts_page(request, bound=(payout_id, form), status=422)
    try:
        payout = services.payout_mark_paid(
            actor=acting(request), payout_id=payout_id, reference=form.cleaned_data["reference"]
        )
    except NotFound:
        raise
    except DomainError as error:
        apply_error(form, error)
        return _payouts_page(request, bound=(payout_id, form), status=_status_of(error))
    messages.success(
        request,
        _("Payout %(id)s of %(amount)s marked paid.")
        % {"id": payout.pk, "amount": format_minor(payout.amount_minor, payout.currency)},
    )
    return redirect("payments:payouts")


@page_view(kind=OPERATOR)
def ledger_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "payments/operator_ledger.html",
        {"page": paginate(request, ledger.transaction_list(), per_page=25)},
    )
