"""Cart, checkout, orders per supplier, their history, shipments and reviews."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from huoyuan.orders.carriers import CARRIERS, OTHER
from huoyuan.orders.contracts import LineKind, OrderKind, OrderStatus, Party


class TradeSettings(models.Model):
    """The operator's knobs for the trade loop: one row, edited in the admin."""

    commission_rate_bp = models.PositiveIntegerField(
        _("commission (basis points, 100 = 1%)"),
        default=300,
        validators=[MaxValueValidator(5000)],
    )
    auto_confirm_days = models.PositiveSmallIntegerField(
        _("auto-confirm receipt after (days)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    unpaid_expiry_minutes = models.PositiveIntegerField(
        _("unpaid orders expire after (minutes)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(60 * 24 * 14)],
    )
    bank_transfer_expiry_hours = models.PositiveIntegerField(
        _("bank-transfer orders expire after (hours)"),
        default=72,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
    )
    max_unpaid_orders_per_buyer = models.PositiveIntegerField(
        _("unpaid orders one buyer may hold"),
        default=20,
        validators=[MinValueValidator(1)],
    )
    max_unpaid_share_percent = models.PositiveSmallIntegerField(
        _("share of one SKU's stock one buyer may hold unpaid (%)"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    bank_account_name = models.CharField(
        _("platform bank account name"), max_length=120, default="Huoyuan Marketplace Ltd."
    )
    bank_name = models.CharField(_("bank"), max_length=120, default="Demo Bank, Hangzhou branch")
    bank_account_number = models.CharField(
        _("account number"), max_length=64, default="6222 0000 0000 0000 000"
    )

    class Meta:
        verbose_name = _("trade settings")
        verbose_name_plural = _("trade settings")

    def __str__(self) -> str:
        return str(_("Trade settings"))


class Address(models.Model):
    """An entry of a buyer organization's address book."""

    buyer = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    label = models.CharField(_("label"), max_length=40, blank=True)
    recipient = models.CharField(_("recipient"), max_length=80)
    phone = models.CharField(_("phone"), max_length=32)
    country = models.CharField(_("country"), max_length=2, default="CN")
    province = models.CharField(_("province / state"), max_length=60, blank=True)
    city = models.CharField(_("city"), max_length=60)
    district = models.CharField(_("district"), max_length=60, blank=True)
    street = models.CharField(_("street address"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=16, blank=True)
    is_default = models.BooleanField(_("default address"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "-pk"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return f"{self.recipient}, {self.city}"

    def snapshot(self) -> dict[str, str]:
        return {
            name: str(getattr(self, name))
            for name in (
                "recipient",
                "phone",
                "country",
                "province",
                "city",
                "district",
                "street",
                "postal_code",
            )
        }


class CartLine(models.Model):
    """One SKU in a buyer organization's cart (shared by its members)."""

    buyer = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    sku = models.ForeignKey("catalogue.Sku", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=LineKind.choices, default=LineKind.WHOLESALE)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    added_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["buyer", "sku", "kind"], name="cart_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.sku_id} x {self.quantity}"


class Checkout(models.Model):
    """One press of "place order": the orders it made share one payment."""

    buyer = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    currency = models.CharField(max_length=3)
    total_minor = models.BigIntegerField()
    payment_method = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"checkout {self.pk}"


class Order(models.Model):
    number = models.CharField(_("order number"), max_length=20, unique=True)
    checkout = models.ForeignKey(Checkout, on_delete=models.PROTECT, related_name="orders")
    buyer = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=OrderKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT
    )
    currency = models.CharField(max_length=3)
    subtotal_minor = models.BigIntegerField()
    shipping_minor = models.BigIntegerField(default=0)
    total_minor = models.BigIntegerField()
    # Escrow bookkeeping, moved with the ledger postings in the same transaction.
    paid_minor = models.BigIntegerField(default=0)
    refunded_minor = models.BigIntegerField(default=0)
    released_minor = models.BigIntegerField(default=0)
    commission_minor = models.BigIntegerField(default=0)
    refund_requested_minor = models.BigIntegerField(default=0)
    note = models.CharField(_("note to the supplier"), max_length=500, blank=True)
    address = models.JSONField(_("shipping address"))
    payment_method = models.CharField(max_length=20)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    auto_confirm_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["buyer", "-id"]),
            models.Index(fields=["supplier", "status", "-id"]),
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["status", "auto_confirm_at"]),
            # The fair-reservation caps at every placement: a buyer's unpaid orders (few, always).
            models.Index(
                fields=["buyer"],
                condition=Q(status="pending_payment"),
                name="order_unpaid_by_buyer",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total_minor__gte=0), name="order_total_positive"),
            models.CheckConstraint(
                condition=Q(refunded_minor__gte=0)
                & Q(released_minor__gte=0)
                & Q(refunded_minor__lte=F("paid_minor") - F("released_minor")),
                name="order_escrow_bounded",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def escrow_minor(self) -> int:
        """What of this order's money the platform still holds."""
        return self.paid_minor - self.refunded_minor - self.released_minor


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    # Lines keep what was bought even if the supplier later deletes the SKU or the product.
    sku = models.ForeignKey("catalogue.Sku", null=True, on_delete=models.SET_NULL, related_name="+")
    product = models.ForeignKey(
        "catalogue.Product", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=LineKind.choices, default=LineKind.WHOLESALE)
    product_title = models.CharField(max_length=200)
    sku_code = models.CharField(max_length=64)
    sku_label = models.CharField(max_length=200, blank=True)
    quantity = models.PositiveIntegerField()
    unit_price_minor = models.BigIntegerField()
    line_total_minor = models.BigIntegerField()
    tier_min_quantity = models.PositiveIntegerField(null=True, blank=True)
    shipped_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity"),
            models.CheckConstraint(
                condition=Q(shipped_quantity__lte=F("quantity")), name="order_line_shipped_bounded"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku_code} x {self.quantity}"

    @property
    def to_ship(self) -> int:
        return self.quantity - self.shipped_quantity


class OrderEvent(models.Model):
    """One transition (or a note-worthy action) in an order's life: who, when, why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    party = models.CharField(max_length=10, choices=Party.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} -> {self.to_status}"


class Shipment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    # The carrier from the list (orders.carriers), or "" when it was named as free text only.
    carrier_code = models.CharField(_("carrier code"), max_length=20, blank=True, default="")
    carrier = models.CharField(_("carrier"), max_length=60)
    tracking_number = models.CharField(_("tracking number"), max_length=60)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"

    @property
    def carrier_label(self) -> str:
        """The carrier's name in the reader's language; a typed name as typed."""
        known = CARRIERS.get(self.carrier_code)
        return known.label if known is not None and known.code != OTHER else self.carrier

    @property
    def tracking_url(self) -> str | None:
        """The carrier's tracking page for this parcel, when the carrier has one."""
        known = CARRIERS.get(self.carrier_code)
        return known.tracking_link(self.tracking_number) if known is not None else None


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="shipment_lines")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="shipment_line_quantity")
        ]

    def __str__(self) -> str:
        return f"{self.line_id} x {self.quantity}"


SCORE = [MinValueValidator(1), MaxValueValidator(5)]


class Review(models.Model):
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="review")
    supplier = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    buyer = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    quality = models.PositiveSmallIntegerField(_("quality"), validators=SCORE)
    accuracy = models.PositiveSmallIntegerField(_("as described"), validators=SCORE)
    shipping_speed = models.PositiveSmallIntegerField(_("shipping speed"), validators=SCORE)
    communication = models.PositiveSmallIntegerField(_("communication"), validators=SCORE)
    text = models.TextField(_("review"), max_length=2000, blank=True)
    reply = models.TextField(_("supplier's reply"), max_length=2000, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["supplier", "-id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(quality__range=(1, 5))
                & Q(accuracy__range=(1, 5))
                & Q(shipping_speed__range=(1, 5))
                & Q(communication__range=(1, 5)),
                name="review_scores_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"review of {self.order_id}"

    @property
    def average(self) -> float:
        return (self.quality + self.accuracy + self.shipping_speed + self.communication) / 4
