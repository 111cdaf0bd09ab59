"""An append-only double-entry ledger in integer minor units.

Each Transaction's Entries sum to zero per currency. ``Account.balance_minor`` is the running sum of
its entries, moved by ``F()`` under a row lock in the same database transaction as the entries, so a
balance can be recomputed from the entries at any time and must agree (tests check it).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from huoyuan.ledger.contracts import EXTERNAL_KINDS, AccountKind, TransactionKind


class Account(models.Model):
    kind = models.CharField(_("kind"), max_length=32, choices=AccountKind.choices)
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    key = models.CharField(max_length=40, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    balance_minor = models.BigIntegerField(_("balance"), default=0)
    may_go_negative = models.BooleanField(default=False)

    class Meta:
        ordering = ["kind", "currency", "pk"]
        constraints = [
            # Two partial constraints instead of NULLS NOT DISTINCT, which SQLite lacks.
            models.UniqueConstraint(
                fields=["kind", "organization", "key", "currency"],
                condition=Q(organization__isnull=False),
                name="ledger_account_unique_owned",
            ),
            models.UniqueConstraint(
                fields=["kind", "key", "currency"],
                condition=Q(organization__isnull=True),
                name="ledger_account_unique_platform",
            ),
            models.CheckConstraint(
                condition=Q(may_go_negative=True) | Q(balance_minor__gte=0),
                name="ledger_balance_not_negative",
            ),
        ]

    def __str__(self) -> str:
        owner = f" #{self.organization_id}" if self.organization_id else ""
        key = f" {self.key}" if self.key else ""
        return f"{self.kind}{owner}{key} {self.currency}"

    @property
    def is_external(self) -> bool:
        return self.kind in EXTERNAL_KINDS


class Transaction(models.Model):
    kind = models.CharField(_("kind"), max_length=32, choices=TransactionKind.choices)
    # What makes a retry harmless: the same business event always carries the same reference.
    reference = models.CharField(_("reference"), max_length=120, unique=True)
    memo = models.CharField(_("memo"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.reference


class Entry(models.Model):
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount_minor = models.BigIntegerField(_("amount"))
    currency = models.CharField(max_length=3)
    # The order this movement belongs to, if any (a plain id: orders sit above the ledger).
    order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    balance_after_minor = models.BigIntegerField(_("balance after"))

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["account", "-id"])]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_minor=0), name="ledger_entry_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount_minor} {self.currency}"
