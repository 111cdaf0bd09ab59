"""Order words other apps may use: kinds, statuses and the one transition table."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderKind(models.TextChoices):
    WHOLESALE = "wholesale", _("Wholesale")
    SAMPLE = "sample", _("Sample")


class LineKind(models.TextChoices):
    WHOLESALE = "wholesale", _("Wholesale")
    SAMPLE = "sample", _("Sample")


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
    PAID = "paid", _("Paid, to ship")
    SHIPPED = "shipped", _("Shipped")
    RECEIVED = "received", _("Received")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    REFUND_REQUESTED = "refund_requested", _("Refund requested")
    REFUNDED = "refunded", _("Refunded")
    PARTLY_REFUNDED = "partly_refunded", _("Partly refunded")


class Party(models.TextChoices):
    """Who may fire a transition."""

    BUYER = "buyer", _("Buyer")
    SUPPLIER = "supplier", _("Supplier")
    OPERATOR = "operator", _("Operator")
    SYSTEM = "system", _("System")


S, P = OrderStatus, Party

# from-status -> {to-status: the parties that may move it}. Nothing else is allowed.
TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    S.PENDING_PAYMENT: {
        S.PAID: frozenset({P.SYSTEM, P.OPERATOR}),  # the provider's webhook, a matched transfer
        S.CANCELLED: frozenset({P.BUYER, P.SUPPLIER, P.OPERATOR, P.SYSTEM}),  # SYSTEM: expiry
    },
    S.PAID: {
        S.SHIPPED: frozenset({P.SUPPLIER}),
        S.CANCELLED: frozenset({P.BUYER, P.SUPPLIER, P.OPERATOR}),  # nothing shipped yet
    },
    S.SHIPPED: {
        S.RECEIVED: frozenset({P.BUYER, P.SYSTEM}),  # SYSTEM: auto-confirm after N days
        S.REFUND_REQUESTED: frozenset({P.BUYER}),
    },
    S.REFUND_REQUESTED: {
        S.REFUNDED: frozenset({P.SUPPLIER, P.OPERATOR}),
        S.PARTLY_REFUNDED: frozenset({P.SUPPLIER, P.OPERATOR}),
        S.SHIPPED: frozenset({P.BUYER, P.SUPPLIER, P.OPERATOR}),  # withdrawn or declined
    },
    S.RECEIVED: {S.COMPLETED: frozenset({P.SYSTEM})},
    S.COMPLETED: {},
    S.CANCELLED: {},
    S.REFUNDED: {},
    S.PARTLY_REFUNDED: {},
}

# Orders whose paid money still sits in escrow.
ESCROW_STATUSES = frozenset({S.PAID, S.SHIPPED, S.REFUND_REQUESTED})
OPEN_STATUSES = frozenset({S.PENDING_PAYMENT, S.PAID, S.SHIPPED, S.REFUND_REQUESTED, S.RECEIVED})
FINAL_STATUSES = frozenset({S.COMPLETED, S.CANCELLED, S.REFUNDED, S.PARTLY_REFUNDED})


def allowed(from_status: str, to_status: str, party: str) -> bool:
    return party in TRANSITIONS.get(from_status, {}).get(to_status, frozenset())


@dataclass(frozen=True, slots=True)
class OrderRef:
    """What the payments app needs to know of an order."""

    id: int
    number: str
    buyer_id: int
    supplier_id: int
    status: str
    currency: str
    total_minor: int
