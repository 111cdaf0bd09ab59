from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huoyuan.payments.contracts import PaymentStatus, PayoutStatus, Provider


class Payment(models.Model):
    """One payment for all orders of one checkout."""

    reference = models.CharField(_("payment reference"), max_length=20, unique=True)
    # Orders sit below payments: a plain id. A checkout may have several attempts (a failed card
    # payment can be tried again), at most one of them captured.
    checkout_id = models.BigIntegerField(db_index=True)
    buyer = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    provider = models.CharField(_("method"), max_length=20, choices=Provider.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    amount_minor = models.BigIntegerField(_("amount"))
    currency = models.CharField(max_length=3)
    # The provider's own id for it, or the bank's reference of the matched transfer.
    external_reference = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["provider", "status", "-id"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(
                fields=["checkout_id"],
                condition=Q(status="captured"),
                name="payment_one_capture_per_checkout",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class PaymentOrder(models.Model):
    """An order a payment pays, with its share: fixed when the payment is opened.

    A retried payment covers only the orders still waiting when it was opened; capture pays exactly
    these rows, so the books never take more than the payment's amount.
    """

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="covers")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="+")
    amount_minor = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["payment", "order"], name="payment_order_once")
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} -> order {self.order_id}"


class WebhookEvent(models.Model):
    """Every webhook delivery we received, valid or not: the provider's retries collapse here."""

    provider = models.CharField(max_length=20, choices=Provider.choices)
    event_id = models.CharField(max_length=80, blank=True)
    event_type = models.CharField(max_length=40, blank=True)
    payment_reference = models.CharField(max_length=20, blank=True)
    signature_valid = models.BooleanField()
    payload = models.TextField(max_length=20000)
    received_at = models.DateTimeField(auto_now_add=True)
    deliveries = models.PositiveIntegerField(default=1)
    result = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"],
                condition=Q(signature_valid=True),
                name="webhook_event_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id or '?'}"


class Payout(models.Model):
    """A supplier's request to be paid its available balance, and the operator's confirmation."""

    supplier = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    amount_minor = models.BigIntegerField(_("amount"))
    currency = models.CharField(max_length=3)
    status = models.CharField(
        _("status"), max_length=10, choices=PayoutStatus.choices, default=PayoutStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    paid_reference = models.CharField(_("bank reference"), max_length=80, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payout_amount_positive")
        ]

    def __str__(self) -> str:
        return f"payout {self.pk}"


class PayoutAccount(models.Model):
    """Where a supplier's payouts go. Every change is audited."""

    supplier = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    holder_name = models.CharField(_("account holder"), max_length=120)
    bank_name = models.CharField(_("bank"), max_length=120)
    account_number = models.CharField(_("account number"), max_length=40)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.bank_name} ****{self.account_number[-4:]}"

    @property
    def masked_number(self) -> str:
        return "****" + self.account_number[-4:]
