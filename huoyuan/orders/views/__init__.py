"""The trade loop's pages: cart, address book, the buyer's orders, the supplier's inbox, and the one
order page both sides (and the operator) act on. Each view parses a form, calls one service and
either redirects (PRG) or renders the page again with the service's message next to the field.

Split by area (cart, addresses, orders, the order page's actions); this package is the surface the
URLconf uses. Note that ``views.cart`` and ``views.addresses`` are the view functions, not the
modules of the same name (import those by their full path).
"""

from huoyuan.orders.views.actions import ACTIONS, Action
from huoyuan.orders.views.addresses import address_default, address_delete, address_edit, addresses
from huoyuan.orders.views.cart import cart, cart_add, cart_line, cart_remove, nav
from huoyuan.orders.views.orders import (
    BUYER_TABS,
    SUPPLIER_TABS,
    inbox,
    order_action,
    order_detail,
    order_list,
    order_reorder,
)

__all__ = [
    "ACTIONS",
    "BUYER_TABS",
    "SUPPLIER_TABS",
    "Action",
    "address_default",
    "address_delete",
    "address_edit",
    "addresses",
    "cart",
    "cart_add",
    "cart_line",
    "cart_remove",
    "inbox",
    "nav",
    "order_action",
    "order_detail",
    "order_list",
    "order_reorder",
]
