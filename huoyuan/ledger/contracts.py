"""Names other apps use to talk about ledger accounts and postings."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountKind(models.TextChoices):
    # Money outside the platform's books: a payment provider's (or the bank's) side of a movement.
    # These mirror real-world counterparties, so their balances may take either sign.
    PROVIDER_CLEARING = "provider_clearing", _("Payment provider clearing")
    PAYOUTS_SENT = "payouts_sent", _("Payouts sent")
    # Money the platform holds: never negative.
    ESCROW = "escrow", _("Escrow")
    SUPPLIER_AVAILABLE = "supplier_available", _("Supplier balance (available)")
    SUPPLIER_PAYOUT_PENDING = "supplier_payout_pending", _("Supplier payouts requested")
    PLATFORM_COMMISSION = "platform_commission", _("Platform commission")


EXTERNAL_KINDS = frozenset({AccountKind.PROVIDER_CLEARING, AccountKind.PAYOUTS_SENT})


class TransactionKind(models.TextChoices):
    PAYMENT_CAPTURE = "payment_capture", _("Payment into escrow")
    RELEASE = "release", _("Escrow released to the supplier")
    REFUND = "refund", _("Refund to the buyer")
    PAYOUT_REQUEST = "payout_request", _("Payout requested")
    PAYOUT_PAID = "payout_paid", _("Payout paid")


@dataclass(frozen=True, slots=True)
class AccountRef:
    """Which account a posting line moves: kind + owner (an organization, or the platform) + key.

    ``key`` tells apart several external accounts of one kind (one clearing account per provider).
    """

    kind: str
    currency: str
    organization_id: int | None = None
    key: str = ""


@dataclass(frozen=True, slots=True)
class Posting:
    account: AccountRef
    amount_minor: int  # positive raises the account's balance, negative lowers it
    order_id: int | None = None
