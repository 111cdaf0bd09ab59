"""Buy now (立即订购): one SKU straight from the product page to an order, past the cart.

The same quote, token, caps and reservation as a cart checkout; only the line comes from the
request instead of the cart table, so the cart the buyer is filling stays as it is.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from huoyuan.accounts.contracts import Actor
from huoyuan.orders.caps import show_caps
from huoyuan.orders.cart import CartQuote, clean_quantity, quote_lines, require_buyer
from huoyuan.orders.checkout import (
    PlaceResult,
    check_quote,
    clean_notes,
    lock_buyer_address,
    place_quote,
)
from huoyuan.orders.contracts import LineKind
from huoyuan.orders.errors import CartInvalid, NotFound, ValidationFailed
from huoyuan.orders.models import CartLine

# The line of a buy-now quote is not a cart row; its id in the quote (and token) is this.
BUY_NOW_LINE_ID = 0


def _quote(actor: Actor, sku_id: int, quantity: int, kind: str) -> CartQuote:
    require_buyer(actor)
    clean_quantity(quantity)
    if kind not in LineKind.values:
        raise ValidationFailed(_("Unknown order kind."), field="kind")
    line = CartLine(
        pk=BUY_NOW_LINE_ID,
        buyer_id=actor.organization_id,
        sku_id=sku_id,
        kind=kind,
        quantity=quantity,
    )
    quote = quote_lines([line])
    if not quote.groups or not quote.lines[0].on_sale:
        raise NotFound()
    return quote


def buy_now_quote(*, actor: Actor, sku_id: int, quantity: int, kind: str) -> CartQuote:
    """What buying ``quantity`` of the SKU now would cost, and what stands in the way.

    A SKU of a product that is not on sale is not found (drafts stay private)."""
    return show_caps(actor, _quote(actor, sku_id, quantity, kind))


def buy_now_place(
    *,
    actor: Actor,
    sku_id: int,
    quantity: int,
    kind: str,
    address_id: int,
    payment_method: str,
    quote_token: str,
    note: str = "",
) -> PlaceResult:
    """Place one order for one SKU. The caller (payments) owns the transaction."""
    require_buyer(actor)
    address = lock_buyer_address(actor, address_id)
    quote = _quote(actor, sku_id, quantity, kind)
    if quote.token == quote_token and not quote.ok:
        # One line: say what is wrong with it, not "see each line".
        group = quote.groups[0]
        raise CartInvalid((quote.problems + group.problems + group.lines[0].problems)[0])
    check_quote(quote, quote_token)
    notes = clean_notes({quote.groups[0].supplier_id: note})
    return place_quote(
        actor=actor, quote=quote, address=address, payment_method=payment_method, notes=notes
    )
