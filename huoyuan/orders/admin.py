from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from huoyuan.orders.models import Order, OrderEvent, OrderLine, TradeSettings


@admin.register(TradeSettings)
class TradeSettingsAdmin(admin.ModelAdmin[TradeSettings]):
    """The operator's knobs: one row, edited here (commission, auto-confirm, expiry, caps)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not TradeSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LineInline(admin.TabularInline[OrderLine, Order]):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = ("sku_code", "product_title", "quantity", "unit_price_minor", "shipped_quantity")
    readonly_fields = fields


class EventInline(admin.TabularInline[OrderEvent, Order]):
    model = OrderEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "from_status", "to_status", "party", "actor", "reason")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin[Order]):
    """Read-only: orders move only through their services (the transition table, the ledger)."""

    list_display = ("number", "status", "kind", "buyer", "supplier", "total_minor", "currency")
    list_filter = ("status", "kind", "payment_method")
    search_fields = ("number",)
    inlines = (LineInline, EventInline)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
