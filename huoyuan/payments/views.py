from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from huoyuan.accounts.auth import acting
from huoyuan.accounts.contracts import OrganizationKind
from huoyuan.core.errors import DomainError
from huoyuan.core.web import page_view
from huoyuan.orders import selectors as orders_selectors
from huoyuan.orders.services import trade_settings
from huoyuan.payments import sandbox, selectors

BUYER = OrganizationKind.BUYER


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
    orders = orders_selectors.orders_of_checkout(checkout_id=payment.checkout_id)
    return render(request, "payments/sandbox_confirm.html", {"payment": payment, "orders": orders})


@page_view(kind=BUYER)
def bank_transfer(request: HttpRequest, reference: str) -> HttpResponse:
    actor = acting(request)
    payment = selectors.payment_get_for_buyer(actor=actor, reference=reference)
    orders = orders_selectors.orders_of_checkout(checkout_id=payment.checkout_id)
    return render(
        request,
        "payments/bank_transfer.html",
        {"payment": payment, "orders": orders, "settings": trade_settings()},
    )
