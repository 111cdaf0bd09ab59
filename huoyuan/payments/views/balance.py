"""The supplier's balance page: balances, ledger history, the payout account and payouts."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huoyuan.accounts.auth import acting
from huoyuan.accounts.contracts import MANAGER_ROLES, Actor
from huoyuan.core.errors import DomainError
from huoyuan.core.money import format_minor
from huoyuan.core.web import apply_error, page_view, paginate
from huoyuan.ledger import selectors as ledger
from huoyuan.payments import selectors, services
from huoyuan.payments.forms import PayoutAccountForm, PayoutRequestForm
from huoyuan.payments.views._common import SUPPLIER, status_of


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
        return _balance_page(request, actor, account_form=form, status=status_of(error))
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
        return _balance_page(request, actor, payout_form=form, status=status_of(error))
    messages.success(
        request,
        _("Payout of %(amount)s requested; the operator sends it to your bank account.")
        % {"amount": format_minor(payout.amount_minor, payout.currency)},
    )
    return redirect("payments:balance")
