"""The buyer's orders, the supplier's inbox, and the one order page both sides (and the operator)
act on: it offers each party the ACTIONS it may take now and runs the one posted."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from huoyuan.accounts.auth import acting
from huoyuan.accounts.contracts import Actor
from huoyuan.core.errors import DomainError, NotFound
from huoyuan.core.web import apply_error, page_view, paginate
from huoyuan.orders import selectors, services
from huoyuan.orders.contracts import OrderStatus, Party
from huoyuan.orders.forms import OrderActionForm
from huoyuan.orders.views._common import BUYER, SUPPLIER, S, _status_of
from huoyuan.orders.views.actions import ACTIONS, initial_values, review_of

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
            form = action.form(order=order, initial=initial_values(name, order), prefix=name)
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
            "review": review_of(order),
            "lines": list(order.lines.all()),
            "shipments": list(order.shipments.all()),
            # What the release put on the supplier's balance: the page explains the balance.
            "credited_minor": order.released_minor - order.commission_minor,
            "can_pay": party == Party.BUYER and order.status == S.PENDING_PAYMENT,
            "can_reorder": party == Party.BUYER,
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
