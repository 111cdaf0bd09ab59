"""The orders app's writes (CONVENTIONS: services). Split by area; this module is the surface."""

from huoyuan.orders.addresses import AddressInput, address_create, address_delete, address_update
from huoyuan.orders.buy_now import buy_now_place, buy_now_quote
from huoyuan.orders.cart import (
    CartQuote,
    QuoteLine,
    SupplierGroup,
    cart_add,
    cart_quote,
    cart_remove,
    cart_set_quantity,
)
from huoyuan.orders.checkout import PlaceResult, checkout_place
from huoyuan.orders.lifecycle import (
    order_cancel,
    orders_expire_due,
    orders_mark_paid,
    trade_settings,
)
from huoyuan.orders.receipt import (
    order_confirm_receipt,
    order_decline_refund,
    order_request_refund,
    order_resolve_refund,
    orders_auto_confirm_due,
)
from huoyuan.orders.reorder import order_reorder
from huoyuan.orders.reviews import review_create, review_reply
from huoyuan.orders.shipping import order_ship

__all__ = [
    "AddressInput",
    "CartQuote",
    "PlaceResult",
    "QuoteLine",
    "SupplierGroup",
    "address_create",
    "address_delete",
    "address_update",
    "buy_now_place",
    "buy_now_quote",
    "cart_add",
    "cart_quote",
    "cart_remove",
    "cart_set_quantity",
    "checkout_place",
    "order_cancel",
    "order_confirm_receipt",
    "order_decline_refund",
    "order_reorder",
    "order_request_refund",
    "order_resolve_refund",
    "order_ship",
    "orders_auto_confirm_due",
    "orders_expire_due",
    "orders_mark_paid",
    "review_create",
    "review_reply",
    "trade_settings",
]
