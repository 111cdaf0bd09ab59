# No `from __future__ import annotations`: ninja's @paginate resolves the wrapped view's string
# annotations in its own module (see catalogue/api.py).
"""Checkout and payments (buyer), the provider's webhooks, supplier money, the operator's desk."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.pagination import PageNumberPagination, paginate

from huoyuan.accounts.auth import API_AUTH, require_actor
from huoyuan.accounts.contracts import OrganizationKind
from huoyuan.core.money import MINOR_DIGITS, parse_amount
from huoyuan.ledger.selectors import entries_for_organization, transaction_list
from huoyuan.orders import selectors as orders_selectors
from huoyuan.orders import services as orders
from huoyuan.orders.errors import PricesChanged
from huoyuan.orders.schemas import CartOut
from huoyuan.payments import selectors, services
from huoyuan.payments.adapters import adapter_for
from huoyuan.payments.contracts import PayoutStatus, Provider
from huoyuan.payments.errors import NotFound, ValidationFailed
from huoyuan.payments.models import Payment
from huoyuan.payments.schemas import (
    BalanceOut,
    BankTransferMatchIn,
    BankTransferOut,
    BuyNowIn,
    CartChangedOut,
    CheckoutIn,
    CheckoutOut,
    LedgerEntryOut,
    OperatorPayoutOut,
    PaymentOut,
    PayoutAccountIn,
    PayoutAccountOut,
    PayoutOut,
    PayoutPaidIn,
    PayoutRequestIn,
    TransactionOut,
    WebhookOut,
)

BUYER = OrganizationKind.BUYER
SUPPLIER = OrganizationKind.SUPPLIER
OPERATOR = OrganizationKind.OPERATOR

router = Router(tags=["checkout and payments"], auth=API_AUTH)
webhooks = Router(tags=["payment provider webhooks"])
supplier = Router(tags=["supplier money"], auth=API_AUTH)
operator = Router(tags=["operator"], auth=API_AUTH)


def _payment_out(request: HttpRequest, payment: Payment) -> dict[str, Any]:
    bank = None
    if payment.provider == Provider.BANK_TRANSFER:
        settings = orders.trade_settings()
        bank = {
            "account_name": settings.bank_account_name,
            "bank_name": settings.bank_name,
            "account_number": settings.bank_account_number,
        }
    return {
        "reference": payment.reference,
        "provider": payment.provider,
        "status": payment.status,
        "amount_minor": payment.amount_minor,
        "currency": payment.currency,
        "next_url": request.build_absolute_uri(adapter_for(payment.provider).next_url(payment)),
        "created_at": payment.created_at,
        "captured_at": payment.captured_at,
        "orders": orders_selectors.orders_of_checkout(checkout_id=payment.checkout_id),
        "bank_account": bank,
    }


# --- buyer -----------------------------------------------------------------------------------


@router.post("/checkout", response={201: CheckoutOut, 409: CartChangedOut})
def checkout(request: HttpRequest, payload: CheckoutIn):  # type: ignore[no-untyped-def]
    """Place the cart: one order per supplier (and kind), one payment for all of them.

    A ``quote_token`` that no longer matches the cart (prices or stock moved) is refused with 409
    ``cart_changed`` and the new quote; nothing is reserved or charged."""
    actor = require_actor(request, kind=BUYER)
    try:
        submitted = services.checkout_submit(
            actor=actor,
            address_id=payload.address_id,
            payment_method=payload.payment_method,
            quote_token=payload.quote_token,
            notes=payload.notes,
        )
    except PricesChanged as changed:
        return 409, {**changed.as_dict(), "quote": orders.cart_quote(actor=actor)}
    return 201, _placed_out(request, actor, submitted)


def _placed_out(request: HttpRequest, actor: Any, submitted: services.Submitted) -> dict[str, Any]:
    placed = orders_selectors.order_list_for_buyer(actor=actor).filter(pk__in=submitted.order_ids)
    return {
        "payment": {
            "reference": submitted.payment.reference,
            "provider": submitted.payment.provider,
            "status": submitted.payment.status,
            "amount_minor": submitted.payment.amount_minor,
            "currency": submitted.payment.currency,
            "next_url": request.build_absolute_uri(submitted.next_url),
        },
        "orders": placed.select_related("buyer", "supplier").order_by("pk"),
    }


@router.get("/buy-now/quote", response=CartOut)
def buy_now_quote(request: HttpRequest, sku_id: int, quantity: int, kind: str = "wholesale"):  # type: ignore[no-untyped-def]
    """What buying ``quantity`` of one SKU now costs (break, MOQ, stock, caps), and its token."""
    actor = require_actor(request, kind=BUYER)
    return orders.buy_now_quote(actor=actor, sku_id=sku_id, quantity=quantity, kind=kind)


@router.post("/buy-now", response={201: CheckoutOut, 409: CartChangedOut})
def buy_now(request: HttpRequest, payload: BuyNowIn):  # type: ignore[no-untyped-def]
    """Buy one SKU now, past the cart: its order and one payment (立即订购).

    Send the ``quote_token`` of ``GET /api/buy-now/quote`` for the same SKU, quantity and kind; if
    the price or stock moved since, the answer is 409 ``cart_changed`` with the new quote and
    nothing is reserved or charged."""
    actor = require_actor(request, kind=BUYER)
    try:
        submitted = services.buy_now_submit(
            actor=actor,
            sku_id=payload.sku_id,
            quantity=payload.quantity,
            kind=payload.kind,
            address_id=payload.address_id,
            payment_method=payload.payment_method,
            quote_token=payload.quote_token,
            note=payload.note,
        )
    except PricesChanged as changed:
        quote = orders.buy_now_quote(
            actor=actor, sku_id=payload.sku_id, quantity=payload.quantity, kind=payload.kind
        )
        return 409, {**changed.as_dict(), "quote": quote}
    return 201, _placed_out(request, actor, submitted)


@router.get("/payments/{reference}", response=PaymentOut)
def payment_detail(request: HttpRequest, reference: str):  # type: ignore[no-untyped-def]
    actor = require_actor(request, kind=BUYER)
    return _payment_out(request, selectors.payment_get_for_buyer(actor=actor, reference=reference))


@router.post("/payments/{reference}/retry", response={201: PaymentOut})
def payment_retry(request: HttpRequest, reference: str):  # type: ignore[no-untyped-def]
    """A failed online payment, tried again for the orders still waiting: a new payment."""
    actor = require_actor(request, kind=BUYER)
    return 201, _payment_out(request, services.payment_retry(actor=actor, reference=reference))


@webhooks.post("/payments/webhooks/{provider}", response=WebhookOut)
def webhook(request: HttpRequest, provider: str):  # type: ignore[no-untyped-def]
    """The payment provider reports an event. Signed (``Sandbox-Signature: t=..,v1=..``), not
    authenticated; a repeated event is acknowledged and ignored."""
    result = services.webhook_receive(
        provider=provider, body=request.body, headers=dict(request.headers)
    )
    return {"result": result}


# --- supplier --------------------------------------------------------------------------------


@supplier.get("/balance", response=list[BalanceOut])
def balance(request: HttpRequest):  # type: ignore[no-untyped-def]
    """Per currency: what may be paid out now and what payouts are requested."""
    return selectors.supplier_balances(actor=require_actor(request, kind=SUPPLIER))


@supplier.get("/ledger", response=list[LedgerEntryOut])
@paginate(PageNumberPagination)
def ledger(request: HttpRequest):  # type: ignore[no-untyped-def]
    """Every movement of the supplier's balances, newest first."""
    actor = require_actor(request, kind=SUPPLIER)
    return entries_for_organization(organization_id=actor.organization_id)


@supplier.get("/payout-account", response=PayoutAccountOut)
def payout_account(request: HttpRequest):  # type: ignore[no-untyped-def]
    account = selectors.payout_account_for(actor=require_actor(request, kind=SUPPLIER))
    if account is None:
        raise NotFound(_("No payout account yet: add one with PUT."))
    return account


@supplier.put("/payout-account", response=PayoutAccountOut)
def payout_account_set(request: HttpRequest, payload: PayoutAccountIn):  # type: ignore[no-untyped-def]
    """Where payouts go (owners and admins only); every change is audited."""
    return services.payout_account_set(
        actor=require_actor(request, kind=SUPPLIER),
        holder_name=payload.holder_name,
        bank_name=payload.bank_name,
        account_number=payload.account_number,
    )


@supplier.get("/payouts", response=list[PayoutOut])
@paginate(PageNumberPagination)
def payout_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    return selectors.payout_list_for_supplier(actor=require_actor(request, kind=SUPPLIER))


@supplier.post("/payouts", response={201: PayoutOut})
def payout_request(request: HttpRequest, payload: PayoutRequestIn):  # type: ignore[no-untyped-def]
    """Ask to be paid the whole available balance in ``currency``."""
    actor = require_actor(request, kind=SUPPLIER)
    if payload.currency not in MINOR_DIGITS:
        raise ValidationFailed(_("Unknown currency."), field="currency")
    return 201, services.payout_request(actor=actor, currency=payload.currency)


# --- operator --------------------------------------------------------------------------------


@operator.get("/bank-transfers", response=list[BankTransferOut])
@paginate(PageNumberPagination)
def bank_transfer_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    """Bank-transfer payments still waiting for their money, oldest first."""
    require_actor(request, kind=OPERATOR)
    return selectors.bank_transfers_pending()


@operator.post("/bank-transfers/match", response=PaymentOut)
def bank_transfer_match(request: HttpRequest, payload: BankTransferMatchIn):  # type: ignore[no-untyped-def]
    """The transfer arrived: it pays the checkout's orders (the amount must match exactly)."""
    actor = require_actor(request, kind=OPERATOR)
    currency = selectors.payment_currency(reference=payload.reference) or "CNY"
    payment = services.bank_transfer_match(
        actor=actor,
        reference=payload.reference,
        amount_minor=parse_amount(payload.amount, currency, field="amount"),
        bank_reference=payload.bank_reference,
    )
    return _payment_out(request, payment)


@operator.get("/payouts", response=list[OperatorPayoutOut])
@paginate(PageNumberPagination)
def operator_payout_list(request: HttpRequest, status: str = ""):  # type: ignore[no-untyped-def]
    """Payouts, newest first; ``status`` = requested or paid (empty: all)."""
    require_actor(request, kind=OPERATOR)
    if status and status not in PayoutStatus.values:
        raise ValidationFailed(
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(PayoutStatus.values)},
            field="status",
        )
    return selectors.payout_list_for_operator(status=status or None)


@operator.post("/payouts/{payout_id}/paid", response=OperatorPayoutOut)
def payout_paid(request: HttpRequest, payout_id: int, payload: PayoutPaidIn):  # type: ignore[no-untyped-def]
    """The operator sent the money: the payout leaves the books."""
    return services.payout_mark_paid(
        actor=require_actor(request, kind=OPERATOR),
        payout_id=payout_id,
        reference=payload.reference,
    )


@operator.get("/ledger", response=list[TransactionOut])
@paginate(PageNumberPagination)
def operator_ledger(request: HttpRequest):  # type: ignore[no-untyped-def]
    """The whole ledger: transactions with their balanced entries, newest first."""
    require_actor(request, kind=OPERATOR)
    return transaction_list()
