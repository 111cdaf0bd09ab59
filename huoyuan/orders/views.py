"""The trade loop's pages: cart, address book, the buyer's orders, the supplier's inbox, and the one
order page both sides (and the operator) act on. Each view parses a form, calls one service and
either redirects (PRG) or renders the page again with the service's message next to the field."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from huoyuan.accounts.auth import acting, current_actor
from huoyuan.accounts.contracts import Actor, OrganizationKind
from huoyuan.catalogue import selectors as catalogue
from huoyuan.core.errors import DomainError, NotFound, ValidationFailed
from huoyuan.core.money import Money, format_minor, parse_amount
from huoyuan.core.web import apply_error, page_view, paginate
from huoyuan.notifications.selectors import unread_count
from huoyuan.orders import selectors, services
from huoyuan.orders.cart import cart_lines
from huoyuan.orders.contracts import LineKind, OrderStatus, Party
from huoyuan.orders.forms import (
    AddressForm,
    CancelForm,
    CartAddForm,
    CartLineForm,
    DeclineRefundForm,
    OrderActionForm,
    PlainActionForm,
    RefundRequestForm,
    ReplyForm,
    ResolveRefundForm,
    ReviewForm,
    ShipForm,
)

BUYER = OrganizationKind.BUYER
SUPPLIER = OrganizationKind.SUPPLIER
S = OrderStatus

# The buyer's and the supplier's tabs over the same filters (orders.selectors.INBOX_FILTERS).
BUYER_TABS = [
    ("all", gettext_lazy("All")),
    ("unpaid", gettext_lazy("To pay")),
    ("to_ship", gettext_lazy("Awaiting shipment")),
    ("shipped", gettext_lazy("Shipped")),
    ("refunds", gettext_lazy("Refunds")),
    ("closed", gettext_lazy("Closed")),
]
SUPPLIER_TABS = [
    ("to_ship", gettext_lazy("To ship")),
    ("shipped", gettext_lazy("Shipped")),
    ("refunds", gettext_lazy("Refunds")),
    ("unpaid", gettext_lazy("Unpaid")),
    ("closed", gettext_lazy("Closed")),
    ("all", gettext_lazy("All")),
]


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _status_of(error: DomainError) -> int:
    return error.status if 400 <= error.status < 500 else 400


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
    if data.get("sku_id"):
        sku = catalogue.sku_get_public(sku_id=data["sku_id"])
        if sku.product_id != data["product_id"]:
            raise NotFound()
        return sku
    skus = list(catalogue.product_get_public(product_id=data["product_id"]).skus.all())
    chosen = next((s for s in skus if s.code == data.get("sku")), None)
    if chosen is None and not data.get("sku") and skus:
        chosen = skus[0]
    if chosen is None:
        raise NotFound()
    return chosen


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


# --- address book ----------------------------------------------------------------------------


def _next_url(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@page_view(kind=BUYER)
def addresses(request: HttpRequest) -> HttpResponse:
    actor = acting(request)
    form = AddressForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.address_create(actor=actor, data=form.to_input())
            except DomainError as error:
                apply_error(form, error)
                status = _status_of(error)
            else:
                messages.success(request, _("Address saved."))
                return redirect(_next_url(request) or "orders:addresses")
        else:
            status = 422
    return render(
        request,
        "orders/addresses.html",
        {
            "page": paginate(request, selectors.address_list(actor=actor), per_page=50),
            "form": form,
            "next": _next_url(request) or "",
        },
        status=status,
    )


@page_view(kind=BUYER)
def address_edit(request: HttpRequest, address_id: int) -> HttpResponse:
    actor = acting(request)
    address = selectors.address_get(actor=actor, address_id=address_id)
    form = AddressForm(request.POST or None, initial=AddressForm.initial_for(address))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.address_update(actor=actor, address_id=address.pk, data=form.to_input())
            except NotFound:
                raise
            except DomainError as error:
                apply_error(form, error)
                status = _status_of(error)
            else:
                messages.success(request, _("Address saved."))
                return redirect("orders:addresses")
        else:
            status = 422
    return render(
        request, "orders/address_edit.html", {"address": address, "form": form}, status=status
    )


@require_POST
@page_view(kind=BUYER)
def address_delete(request: HttpRequest, address_id: int) -> HttpResponse:
    services.address_delete(actor=acting(request), address_id=address_id)
    messages.success(request, _("Address deleted."))
    return redirect("orders:addresses")


@require_POST
@page_view(kind=BUYER)
def address_default(request: HttpRequest, address_id: int) -> HttpResponse:
    actor = acting(request)
    address = selectors.address_get(actor=actor, address_id=address_id)
    values = AddressForm.initial_for(address) | {"is_default": True}
    services.address_update(
        actor=actor, address_id=address.pk, data=services.AddressInput(**values)
    )
    messages.success(request, _("Default address changed."))
    return redirect("orders:addresses")


# --- order lists -----------------------------------------------------------------------------


def _tab(request: HttpRequest, tabs: list[tuple[str, Any]]) -> str:
    status = request.GET.get("status", "")
    return status if status in dict(tabs) else tabs[0][0]


@page_view()
def order_list(request: HttpRequest) -> HttpResponse:
    """The buyer's orders; a supplier is sent to its inbox."""
    actor = acting(request)
    if actor.is_supplier:
        return redirect("orders:inbox")
    if not actor.is_buyer:
        raise Http404
    tab = _tab(request, BUYER_TABS)
    return render(
        request,
        "orders/order_list.html",
        {
            "page": paginate(request, selectors.order_list_for_buyer(actor=actor, status=tab)),
            "tabs": BUYER_TABS,
            "tab": tab,
            "side": Party.BUYER,
        },
    )


@page_view(kind=SUPPLIER)
def inbox(request: HttpRequest) -> HttpResponse:
    actor = acting(request)
    tab = _tab(request, SUPPLIER_TABS)
    return render(
        request,
        "orders/order_list.html",
        {
            "page": paginate(request, selectors.order_list_for_supplier(actor=actor, status=tab)),
            "tabs": SUPPLIER_TABS,
            "tab": tab,
            "side": Party.SUPPLIER,
        },
    )


# --- the order page and its actions ----------------------------------------------------------


def _party(actor: Actor, order: Any) -> str:
    if actor.organization_id == order.buyer_id:
        return Party.BUYER
    if actor.organization_id == order.supplier_id:
        return Party.SUPPLIER
    if actor.is_operator:
        return Party.OPERATOR
    raise Http404


def _review(order: Any) -> Any:
    return getattr(order, "review", None)


def _unshipped(order: Any) -> bool:
    return not any(line.shipped_quantity for line in order.lines.all())


def _amount(form: OrderActionForm) -> int:
    return parse_amount(form.cleaned_data["amount"], form.order.currency, field="amount")


@dataclass(frozen=True)
class Action:
    """One thing a party may do on the order page: who, in which states, with which form."""

    label: Any
    form: type[OrderActionForm]
    parties: frozenset[str]
    statuses: frozenset[str]
    run: Callable[[Actor, Any], str]  # (actor, the valid form) -> the success message
    shown: Callable[[Any], bool] = lambda order: True
    danger: bool = False


def _cancel(actor: Actor, form: OrderActionForm) -> str:
    services.order_cancel(actor=actor, order_id=form.order.pk, reason=form.cleaned_data["reason"])
    if form.order.status == S.PAID:
        return _("Order cancelled; the payment goes back to the buyer.")
    return _("Order cancelled.")


def _receive(actor: Actor, form: OrderActionForm) -> str:
    services.order_confirm_receipt(actor=actor, order_id=form.order.pk)
    return _("Receipt confirmed; the payment was released to the supplier.")


def _refund(actor: Actor, form: OrderActionForm) -> str:
    services.order_request_refund(
        actor=actor,
        order_id=form.order.pk,
        amount_minor=_amount(form),
        reason=form.cleaned_data["reason"],
    )
    return _("Refund requested; the supplier will answer it.")


def _withdraw(actor: Actor, form: OrderActionForm) -> str:
    services.order_decline_refund(actor=actor, order_id=form.order.pk)
    return _("Refund request withdrawn.")


def _resolve(actor: Actor, form: OrderActionForm) -> str:
    amount = _amount(form)
    services.order_resolve_refund(
        actor=actor, order_id=form.order.pk, amount_minor=amount, reason=form.cleaned_data["reason"]
    )
    return _("Refunded %(amount)s to the buyer.") % {
        "amount": format_minor(amount, form.order.currency)
    }


def _decline(actor: Actor, form: OrderActionForm) -> str:
    services.order_decline_refund(
        actor=actor, order_id=form.order.pk, reason=form.cleaned_data["reason"]
    )
    return _("Refund declined; the buyer was told why.")


def _ship(actor: Actor, form: ShipForm) -> str:
    services.order_ship(
        actor=actor,
        order_id=form.order.pk,
        carrier=form.cleaned_data["carrier"],
        tracking_number=form.cleaned_data["tracking_number"],
        quantities=form.quantities(),
    )
    return _("Shipment recorded; the buyer was told.")


def _review_create(actor: Actor, form: ReviewForm) -> str:
    services.review_create(
        actor=actor, order_id=form.order.pk, scores=form.scores(), text=form.cleaned_data["text"]
    )
    return _("Thank you for your review.")


def _reply(actor: Actor, form: OrderActionForm) -> str:
    review = _review(form.order)
    if review is None:
        raise NotFound()
    services.review_reply(actor=actor, review_id=review.pk, text=form.cleaned_data["reply"])
    return _("Your reply is published with the review.")


B, SU, OP = Party.BUYER, Party.SUPPLIER, Party.OPERATOR
ACTIONS: dict[str, Action] = {
    "ship": Action(gettext_lazy("Ship"), ShipForm, frozenset({SU}), frozenset({S.PAID}), _ship),
    "receive": Action(
        gettext_lazy("Confirm receipt"),
        PlainActionForm,
        frozenset({B}),
        frozenset({S.SHIPPED}),
        _receive,
    ),
    "refund": Action(
        gettext_lazy("Request a refund"),
        RefundRequestForm,
        frozenset({B}),
        frozenset({S.SHIPPED}),
        _refund,
    ),
    "withdraw": Action(
        gettext_lazy("Withdraw the refund request"),
        PlainActionForm,
        frozenset({B}),
        frozenset({S.REFUND_REQUESTED}),
        _withdraw,
    ),
    "resolve": Action(
        gettext_lazy("Refund"),
        ResolveRefundForm,
        frozenset({SU, OP}),
        frozenset({S.REFUND_REQUESTED}),
        _resolve,
    ),
    "decline": Action(
        gettext_lazy("Decline the refund"),
        DeclineRefundForm,
        frozenset({SU, OP}),
        frozenset({S.REFUND_REQUESTED}),
        _decline,
        danger=True,
    ),
    "cancel": Action(
        gettext_lazy("Cancel the order"),
        CancelForm,
        frozenset({B, SU, OP}),
        frozenset({S.PENDING_PAYMENT, S.PAID}),
        _cancel,
        shown=_unshipped,
        danger=True,
    ),
    "review": Action(
        gettext_lazy("Publish the review"),
        ReviewForm,
        frozenset({B}),
        frozenset({S.COMPLETED, S.PARTLY_REFUNDED}),
        _review_create,
        shown=lambda order: _review(order) is None,
    ),
    "reply": Action(
        gettext_lazy("Publish the reply"),
        ReplyForm,
        frozenset({SU}),
        frozenset({S.COMPLETED, S.PARTLY_REFUNDED}),
        _reply,
        shown=lambda order: _review(order) is not None and not _review(order).replied_at,
    ),
}


def _initial(name: str, order: Any) -> dict[str, Any]:
    """Amount boxes start at what may be refunded (buyer) or what was asked for (supplier)."""
    amount = {
        "refund": order.escrow_minor,
        "resolve": order.refund_requested_minor or order.escrow_minor,
    }.get(name)
    if amount is None:
        return {}
    return {"amount": str(Money(amount, order.currency).amount)}


def _timeline(order: Any) -> list[dict[str, Any]]:
    labels = dict(OrderStatus.choices)
    parties = dict(Party.choices)
    return [
        {
            "at": event.created_at,
            "party": parties.get(event.party, event.party),
            "who": event.actor.display_name if event.actor else "",
            "status": labels.get(event.to_status, event.to_status),
            "changed": event.from_status != event.to_status,
            "reason": event.reason,
        }
        for event in order.events.all()
    ]


def _detail(
    request: HttpRequest,
    order: Any,
    *,
    bound: tuple[str, OrderActionForm] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    actor = acting(request)
    party = _party(actor, order)
    forms = []
    for name, action in ACTIONS.items():
        if party not in action.parties or order.status not in action.statuses:
            continue
        if not action.shown(order):
            continue
        if bound is not None and bound[0] == name:
            form = bound[1]
            bound = None  # shown in place: no need to repeat its error above the page
        else:
            form = action.form(order=order, initial=_initial(name, order), prefix=name)
        url = reverse(f"orders:{name}", args=[order.pk])
        forms.append({"name": name, "action": action, "form": form, "url": url})
    if bound is not None and not error:
        # The action is not on offer any more (the order moved on): say why at the top.
        error = " ".join(str(e) for errors in bound[1].errors.values() for e in errors)
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "party": party,
            "actions": forms,
            "error": error,
            "timeline": _timeline(order),
            "review": _review(order),
            "lines": list(order.lines.all()),
            "shipments": list(order.shipments.all()),
            # What the release put on the supplier's balance: the page explains the balance.
            "credited_minor": order.released_minor - order.commission_minor,
            "can_pay": party == B and order.status == S.PENDING_PAYMENT,
            "can_reorder": party == B,
        },
        status=status,
    )


@page_view()
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = selectors.order_get(actor=acting(request), order_id=order_id)
    return _detail(request, order)


@require_POST
@page_view()
def order_action(request: HttpRequest, order_id: int, action: str) -> HttpResponse:
    """One of ACTIONS; another side's action is a 404, a refused one shows the service's reason."""
    actor = acting(request)
    order = selectors.order_get(actor=actor, order_id=order_id)
    chosen = ACTIONS.get(action)
    if chosen is None or _party(actor, order) not in chosen.parties:
        raise Http404
    form = chosen.form(request.POST, order=order, prefix=action)
    if not form.is_valid():
        return _detail(request, order, bound=(action, form), status=422)
    try:
        message = chosen.run(actor, form)
    except NotFound:
        raise
    except DomainError as error:
        apply_error(form, error)
        # The page shows the order as it is now (another member may have acted meanwhile).
        fresh = selectors.order_get(actor=actor, order_id=order_id)
        return _detail(request, fresh, bound=(action, form), status=_status_of(error))
    messages.success(request, message)
    return redirect("orders:detail", order_id=order.pk)


@require_POST
@page_view(kind=BUYER)
def order_reorder(request: HttpRequest, order_id: int) -> HttpResponse:
    """One click: the order's items go back into the cart at the same quantities."""
    try:
        added, missing = services.order_reorder(actor=acting(request), order_id=order_id)
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("orders:detail", order_id=order_id)
    messages.success(request, _("%(n)s item(s) added to your cart.") % {"n": added})
    if missing:
        messages.warning(
            request,
            _("No longer on sale, so not added: %(codes)s.") % {"codes": ", ".join(missing)},
        )
    return redirect("orders:cart")
