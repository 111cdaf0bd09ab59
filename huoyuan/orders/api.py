# No `from __future__ import annotations`: ninja's @paginate resolves the wrapped view's string
# annotations in its own module (see catalogue/api.py).
"""The buyer's cart and address book, orders for both sides, reviews."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.pagination import PageNumberPagination, paginate

from huoyuan.accounts.auth import API_AUTH, require_actor
from huoyuan.accounts.contracts import OrganizationKind
from huoyuan.accounts.errors import WrongOrganizationKind
from huoyuan.core.schemas import OkOut
from huoyuan.orders import selectors, services
from huoyuan.orders.errors import ValidationFailed
from huoyuan.orders.schemas import (
    AddressIn,
    AddressOut,
    AmountIn,
    CartLineIn,
    CartOut,
    CartQuantityIn,
    OrderCardOut,
    OrderOut,
    OrderReviewOut,
    ReasonIn,
    ReorderOut,
    ReplyIn,
    ReviewIn,
    ReviewOut,
    ShipIn,
)
from huoyuan.suppliers.selectors import supplier_get_public

BUYER = OrganizationKind.BUYER
SUPPLIER = OrganizationKind.SUPPLIER

router = Router(tags=["trade"], auth=API_AUTH)
public = Router(tags=["reviews"])


# --- cart ------------------------------------------------------------------------------------


@router.get("/cart", response=CartOut)
def cart_detail(request: HttpRequest):  # type: ignore[no-untyped-def]
    """The live quote: prices by break, MOQ, mixed batch and stock checked, grouped by supplier."""
    return services.cart_quote(actor=require_actor(request, kind=BUYER))


@router.post("/cart/lines", response={201: CartOut})
def cart_line_add(request: HttpRequest, payload: CartLineIn):  # type: ignore[no-untyped-def]
    """Add units of a SKU (to what the cart already holds of it); answers the new quote."""
    actor = require_actor(request, kind=BUYER)
    services.cart_add(
        actor=actor, sku_id=payload.sku_id, quantity=payload.quantity, kind=payload.kind
    )
    return 201, services.cart_quote(actor=actor)


@router.put("/cart/lines/{line_id}", response=CartOut)
def cart_line_update(request: HttpRequest, line_id: int, payload: CartQuantityIn):  # type: ignore[no-untyped-def]
    actor = require_actor(request, kind=BUYER)
    services.cart_set_quantity(actor=actor, line_id=line_id, quantity=payload.quantity)
    return services.cart_quote(actor=actor)


@router.delete("/cart/lines/{line_id}", response=CartOut)
def cart_line_remove(request: HttpRequest, line_id: int):  # type: ignore[no-untyped-def]
    actor = require_actor(request, kind=BUYER)
    services.cart_remove(actor=actor, line_id=line_id)
    return services.cart_quote(actor=actor)


# --- addresses -------------------------------------------------------------------------------


@router.get("/addresses", response=list[AddressOut])
@paginate(PageNumberPagination)
def address_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    return selectors.address_list(actor=require_actor(request, kind=BUYER))


@router.post("/addresses", response={201: AddressOut})
def address_create(request: HttpRequest, payload: AddressIn):  # type: ignore[no-untyped-def]
    actor = require_actor(request, kind=BUYER)
    return 201, services.address_create(actor=actor, data=payload.to_input())


@router.put("/addresses/{address_id}", response=AddressOut)
def address_update(request: HttpRequest, address_id: int, payload: AddressIn):  # type: ignore[no-untyped-def]
    actor = require_actor(request, kind=BUYER)
    return services.address_update(actor=actor, address_id=address_id, data=payload.to_input())


@router.delete("/addresses/{address_id}", response=OkOut)
def address_delete(request: HttpRequest, address_id: int):  # type: ignore[no-untyped-def]
    services.address_delete(actor=require_actor(request, kind=BUYER), address_id=address_id)
    return {"ok": True}


# --- orders ----------------------------------------------------------------------------------


@router.get("/orders", response=list[OrderCardOut])
@paginate(PageNumberPagination)
def order_list(request: HttpRequest, status: str = "all"):  # type: ignore[no-untyped-def]
    """The acting organization's orders (as buyer or as supplier), newest first.

    ``status`` is one of the inbox tabs: all, unpaid, to_ship, shipped, refunds, closed."""
    actor = require_actor(request)
    if not (actor.is_buyer or actor.is_supplier):
        raise WrongOrganizationKind()
    if status not in selectors.INBOX_FILTERS:
        raise ValidationFailed(
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(selectors.INBOX_FILTERS)},
            field="status",
        )
    if actor.is_supplier:
        orders = selectors.order_list_for_supplier(actor=actor, status=status)
    else:
        orders = selectors.order_list_for_buyer(actor=actor, status=status)
    return orders.select_related("buyer", "supplier")


@router.get("/orders/{order_id}", response=OrderOut)
def order_detail(request: HttpRequest, order_id: int):  # type: ignore[no-untyped-def]
    """Lines, the timeline of events, shipments and the review of one order."""
    return selectors.order_get(actor=require_actor(request), order_id=order_id)


@router.post("/orders/{order_id}/cancel", response=OrderOut)
def order_cancel(request: HttpRequest, order_id: int, payload: ReasonIn):  # type: ignore[no-untyped-def]
    """Buyer, supplier or operator: an unpaid order, or a paid one of which nothing shipped."""
    actor = require_actor(request)
    services.order_cancel(actor=actor, order_id=order_id, reason=payload.reason)
    return selectors.order_get(actor=actor, order_id=order_id)


@router.post("/orders/{order_id}/receive", response=OrderOut)
def order_receive(request: HttpRequest, order_id: int):  # type: ignore[no-untyped-def]
    """The buyer confirms receipt: the payment is released to the supplier."""
    actor = require_actor(request, kind=BUYER)
    services.order_confirm_receipt(actor=actor, order_id=order_id)
    return selectors.order_get(actor=actor, order_id=order_id)


@router.post("/orders/{order_id}/refund-request", response=OrderOut)
def order_refund_request(request: HttpRequest, order_id: int, payload: AmountIn):  # type: ignore[no-untyped-def]
    """The buyer asks for (part of) the money back on a shipped order."""
    actor = require_actor(request, kind=BUYER)
    amount = payload.minor(selectors.order_currency(actor=actor, order_id=order_id))
    services.order_request_refund(
        actor=actor, order_id=order_id, amount_minor=amount, reason=payload.reason
    )
    return selectors.order_get(actor=actor, order_id=order_id)


@router.post("/orders/{order_id}/refund-resolve", response=OrderOut)
def order_refund_resolve(request: HttpRequest, order_id: int, payload: AmountIn):  # type: ignore[no-untyped-def]
    """Supplier or operator: refund this amount; the rest of the escrow goes to the supplier."""
    actor = require_actor(request)
    amount = payload.minor(selectors.order_currency(actor=actor, order_id=order_id))
    services.order_resolve_refund(
        actor=actor, order_id=order_id, amount_minor=amount, reason=payload.reason
    )
    return selectors.order_get(actor=actor, order_id=order_id)


@router.post("/orders/{order_id}/refund-decline", response=OrderOut)
def order_refund_decline(request: HttpRequest, order_id: int, payload: ReasonIn):  # type: ignore[no-untyped-def]
    """The supplier declines (with a reason) or the buyer withdraws a refund request."""
    actor = require_actor(request)
    services.order_decline_refund(actor=actor, order_id=order_id, reason=payload.reason)
    return selectors.order_get(actor=actor, order_id=order_id)


@router.post("/orders/{order_id}/ship", response=OrderOut)
def order_ship(request: HttpRequest, order_id: int, payload: ShipIn):  # type: ignore[no-untyped-def]
    """The supplier ships all that is left, or ``lines`` (line id, units): a partial shipment.

    Name the carrier by ``carrier_code`` (the buyer then gets its tracking link); an unknown code
    is a 422 ``unknown_carrier``."""
    actor = require_actor(request, kind=SUPPLIER)
    services.order_ship(
        actor=actor,
        order_id=order_id,
        carrier_code=payload.carrier_code,
        carrier=payload.carrier,
        tracking_number=payload.tracking_number,
        quantities=payload.quantities(),
    )
    return selectors.order_get(actor=actor, order_id=order_id)


@router.post("/orders/{order_id}/review", response={201: OrderReviewOut})
def order_review(request: HttpRequest, order_id: int, payload: ReviewIn):  # type: ignore[no-untyped-def]
    """The buyer rates a completed order once (1 to 5 stars each)."""
    actor = require_actor(request, kind=BUYER)
    return 201, services.review_create(
        actor=actor, order_id=order_id, scores=payload.scores(), text=payload.text
    )


@router.post("/orders/{order_id}/reorder", response=ReorderOut)
def order_reorder(request: HttpRequest, order_id: int):  # type: ignore[no-untyped-def]
    """Put the order's items back in the cart at the same quantities."""
    added, missing = services.order_reorder(
        actor=require_actor(request, kind=BUYER), order_id=order_id
    )
    return {"added": added, "missing": missing}


@router.post("/reviews/{review_id}/reply", response=OrderReviewOut)
def review_reply(request: HttpRequest, review_id: int, payload: ReplyIn):  # type: ignore[no-untyped-def]
    """The supplier answers a review of its order once."""
    actor = require_actor(request, kind=SUPPLIER)
    return services.review_reply(actor=actor, review_id=review_id, text=payload.text)


@public.get("/suppliers/{slug}/reviews", response=list[ReviewOut])
@paginate(PageNumberPagination)
def supplier_reviews(request: HttpRequest, slug: str):  # type: ignore[no-untyped-def]
    """A supplier's reviews, newest first; buyers are named by their organization only."""
    profile = supplier_get_public(slug=slug)
    return selectors.review_list_for_supplier(supplier_id=profile.organization_id)
