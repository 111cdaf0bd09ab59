"""The operator's payment pages: bank-transfer matching, payouts to mark paid, the ledger."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huoyuan.accounts.auth import acting
from huoyuan.core.errors import DomainError, NotFound, ValidationFailed
from huoyuan.core.money import format_minor, parse_amount
from huoyuan.core.web import apply_error, page_view, paginate
from huoyuan.ledger import selectors as ledger
from huoyuan.payments import selectors, services
from huoyuan.payments.contracts import PayoutStatus
from huoyuan.payments.forms import BankTransferMatchForm, PayoutPaidForm
from huoyuan.payments.views._common import OPERATOR, status_of


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
                status = status_of(error)
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
        return _payouts_page(request, bound=(payout_id, form), status=status_of(error))
    messages.success(
        request,
        _("Payout %(id)s of %(amount)s marked paid.")
        % {"id": payout.pk, "amount": format_minor(payout.amount_minor, payout.currency)},
    )
    return redirect("payments:payouts")


@page_view(kind=OPERATOR)
def ledger_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "payments/operator_ledger.html",
        {
            "page": paginate(request, ledger.transaction_list(), per_page=25),
            # Owners link to their page in the admin, for whoever may open it there.
            "owner_links": user.is_staff and user.has_perm("accounts.view_organization"),
        },
    )
