"""JSON shapes of the cart, addresses, orders and reviews. Money: integer ``*_minor`` + currency."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from huoyuan.core.money import parse_amount
from huoyuan.core.schemas import StrictIn
from huoyuan.orders.carriers import CARRIERS, OTHER
from huoyuan.orders.cart import CartQuote, SupplierGroup
from huoyuan.orders.contracts import LineKind, OrderStatus
from huoyuan.orders.models import Order, OrderEvent, Review, Shipment, ShipmentLine
from huoyuan.orders.services import AddressInput

# --- cart ------------------------------------------------------------------------------------


class CartLineIn(StrictIn):
    sku_id: int
    quantity: int
    kind: str = Field(LineKind.WHOLESALE.value, description='"wholesale" or "sample"')


class CartQuantityIn(StrictIn):
    quantity: int = Field(description="0 removes the line")


class QuoteLineOut(Schema):
    line_id: int
    sku_id: int
    product_id: int
    product_title: str
    sku_code: str
    sku_label: str
    kind: str
    quantity: int
    currency: str
    unit_price_minor: int
    total_minor: int
    moq: int
    stock: int
    applied_min_quantity: int | None = Field(description="the price break that applies")
    next_break_min_quantity: int | None
    next_break_unit_price_minor: int | None
    units_to_next_break: int | None
    problems: list[str] = Field(description="why this line cannot be ordered as it is")


class MixedBatchOut(Schema):
    """混批 across the supplier's whole store: wholesale units of any of its items count."""

    moq: int
    units: int
    units_to_go: int
    met: bool


class SupplierGroupOut(Schema):
    supplier_id: int
    supplier_name: str
    supplier_slug: str
    currency: str
    subtotal_minor: int
    ok: bool
    problems: list[str]
    mixed_batch: MixedBatchOut | None
    lines: list[QuoteLineOut]

    @staticmethod
    def resolve_mixed_batch(obj: SupplierGroup) -> dict[str, Any] | None:
        if obj.mixed_batch_moq is None:
            return None
        to_go = max(0, obj.mixed_batch_moq - obj.mixed_batch_units)
        return {
            "moq": obj.mixed_batch_moq,
            "units": obj.mixed_batch_units,
            "units_to_go": to_go,
            "met": to_go == 0,
        }


class CartOut(Schema):
    token: str = Field(description="send it with the checkout: proves you saw these prices")
    ok: bool = Field(description="true when the cart can be checked out as it is")
    currency: str | None = Field(description="null when the cart is empty or mixes currencies")
    total_minor: int
    problems: list[str]
    groups: list[SupplierGroupOut]

    @staticmethod
    def resolve_currency(obj: CartQuote) -> str | None:
        return obj.currencies[0] if len(obj.currencies) == 1 else None


# --- addresses -------------------------------------------------------------------------------


class AddressIn(StrictIn):
    recipient: str
    phone: str
    city: str
    street: str
    country: str = "CN"
    province: str = ""
    district: str = ""
    postal_code: str = ""
    label: str = ""
    is_default: bool = False

    def to_input(self) -> AddressInput:
        return AddressInput(**self.model_dump())


class AddressOut(Schema):
    id: int
    label: str
    recipient: str
    phone: str
    country: str
    province: str
    city: str
    district: str
    street: str
    postal_code: str
    is_default: bool


# --- orders ----------------------------------------------------------------------------------


class OrganizationOut(Schema):
    id: int
    slug: str
    name: str


class OrderLineOut(Schema):
    id: int
    sku_id: int | None
    product_id: int | None
    kind: str
    product_title: str
    sku_code: str
    sku_label: str
    quantity: int
    unit_price_minor: int
    line_total_minor: int
    tier_min_quantity: int | None
    shipped_quantity: int


class OrderCardOut(Schema):
    id: int
    number: str
    kind: str
    status: str
    status_label: str
    currency: str
    subtotal_minor: int
    shipping_minor: int
    total_minor: int
    buyer: OrganizationOut
    supplier: OrganizationOut
    created_at: datetime
    expires_at: datetime | None
    lines: list[OrderLineOut]

    @staticmethod
    def resolve_status_label(obj: Order) -> str:
        return str(OrderStatus(obj.status).label)


class OrderEventOut(Schema):
    from_status: str
    to_status: str
    party: str
    actor: str | None = Field(description="the person's display name; null for the system")
    reason: str
    created_at: datetime

    @staticmethod
    def resolve_actor(obj: OrderEvent) -> str | None:
        return obj.actor.display_name if obj.actor is not None else None


class ShipmentLineOut(Schema):
    line_id: int
    sku_code: str
    quantity: int

    @staticmethod
    def resolve_sku_code(obj: ShipmentLine) -> str:
        return obj.line.sku_code


class ShipmentOut(Schema):
    id: int
    carrier_code: str = Field(description='from the carrier list; "" when named as free text')
    carrier: str = Field(description="the carrier's name as recorded")
    carrier_name: str = Field(description="the carrier's name in the reader's language")
    tracking_number: str
    tracking_url: str | None = Field(description="the carrier's tracking page, when it has one")
    created_at: datetime
    lines: list[ShipmentLineOut]

    @staticmethod
    def resolve_carrier_name(obj: Shipment) -> str:
        return obj.carrier_label


class OrderReviewOut(Schema):
    id: int
    quality: int
    accuracy: int
    shipping_speed: int
    communication: int
    average: float
    text: str
    reply: str
    replied_at: datetime | None
    created_at: datetime


class OrderOut(OrderCardOut):
    paid_minor: int
    refunded_minor: int
    released_minor: int
    escrow_minor: int = Field(description="what the platform still holds for this order")
    refund_requested_minor: int
    note: str
    address: dict[str, str]
    payment_method: str
    paid_at: datetime | None
    shipped_at: datetime | None
    auto_confirm_at: datetime | None
    received_at: datetime | None
    closed_at: datetime | None
    events: list[OrderEventOut]
    shipments: list[ShipmentOut]
    review: OrderReviewOut | None

    @staticmethod
    def resolve_review(obj: Order) -> Review | None:
        return getattr(obj, "review", None)


# --- order actions ---------------------------------------------------------------------------


class ReasonIn(StrictIn):
    reason: str = ""


class AmountIn(StrictIn):
    amount: str = Field(description='decimal string in the order currency, e.g. "12.50"')
    reason: str = ""

    def minor(self, currency: str) -> int:
        return parse_amount(self.amount, currency, field="amount")


class ShipLineIn(StrictIn):
    line_id: int
    quantity: int


class ShipIn(StrictIn):
    carrier_code: str | None = Field(
        None,
        description=(
            "one of "
            + ", ".join(f'"{code}"' for code in CARRIERS)
            + f' ("{OTHER}": name it in carrier). Without it, carrier is free text as before: '
            "no tracking link, and the number is only checked for length."
        ),
    )
    carrier: str = Field("", description=f'the carrier\'s name when carrier_code is "{OTHER}"')
    tracking_number: str = Field(
        description="with carrier_code: 4 to 40 letters, digits or dashes (spaces are dropped), "
        "in the carrier's own format where that is known"
    )
    lines: list[ShipLineIn] | None = Field(
        None, min_length=1, description="omit to ship everything still to ship"
    )

    def quantities(self) -> dict[int, int] | None:
        if self.lines is None:
            return None
        wanted: dict[int, int] = {}
        for line in self.lines:
            wanted[line.line_id] = wanted.get(line.line_id, 0) + line.quantity
        return wanted


class ReviewIn(StrictIn):
    quality: int
    accuracy: int
    shipping_speed: int
    communication: int
    text: str = ""

    def scores(self) -> dict[str, int]:
        return self.model_dump(exclude={"text"})


class ReplyIn(StrictIn):
    text: str


class ReorderOut(Schema):
    added: int = Field(description="lines put back in the cart")
    missing: list[str] = Field(description="SKU codes no longer on sale")


# --- public reviews --------------------------------------------------------------------------


class ReviewOut(OrderReviewOut):
    buyer: str = Field(description="the buyer organization's name")

    @staticmethod
    def resolve_buyer(obj: Review) -> str:
        return obj.buyer.name
