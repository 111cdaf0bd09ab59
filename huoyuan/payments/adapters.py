"""Payment providers as adapters. Two are built in:

- ``sandbox`` behaves as a real card/wallet provider does: the buyer is sent to its hosted confirm
  page; the result arrives later as HMAC-signed webhooks, which may come late, twice or out of
  order, and which we verify before believing.
- ``bank_transfer``: the buyer sees the platform's account and a reference to quote; the operator
  matches the incoming transfer by hand.

A new provider implements ``Adapter`` and is listed in ``ADAPTERS``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.urls import reverse

from huoyuan.payments.contracts import PaymentStatus, Provider
from huoyuan.payments.errors import SignatureInvalid
from huoyuan.payments.models import Payment

SIGNATURE_HEADER = "Sandbox-Signature"
# A signature older than this is refused (a replayed capture of an old delivery).
SIGNATURE_TOLERANCE_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    event_id: str
    event_type: str
    payment_reference: str
    amount_minor: int
    currency: str

    @property
    def status(self) -> str | None:
        return EVENT_STATUS.get(self.event_type)


EVENT_STATUS = {
    "payment.processing": PaymentStatus.PROCESSING,
    "payment.succeeded": PaymentStatus.CAPTURED,
    "payment.failed": PaymentStatus.FAILED,
}


class Adapter(Protocol):
    name: str

    def next_url(self, payment: Payment) -> str:
        """Where the buyer goes after placing the order."""

    def verify(self, *, body: bytes, headers: dict[str, str]) -> ProviderEvent:
        """Parse a webhook, refusing it unless its signature is right."""


def sign(body: bytes, *, timestamp: int | None = None, secret: str | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    key = (secret or settings.SANDBOX_WEBHOOK_SECRET).encode()
    digest = hmac.new(key, f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


class SandboxAdapter:
    name: str = Provider.SANDBOX

    def next_url(self, payment: Payment) -> str:
        return reverse("payments:sandbox_confirm", args=[payment.reference])

    def verify(self, *, body: bytes, headers: dict[str, str]) -> ProviderEvent:
        header = headers.get(SIGNATURE_HEADER, "")
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        try:
            stamp = int(parts.get("t", ""))
        except ValueError:
            raise SignatureInvalid() from None
        expected = sign(body, timestamp=stamp).split("v1=", 1)[1]
        if not hmac.compare_digest(expected, parts.get("v1", "")):
            raise SignatureInvalid()
        if abs(time.time() - stamp) > SIGNATURE_TOLERANCE_SECONDS:
            raise SignatureInvalid()
        try:
            data: Any = json.loads(body)
            return ProviderEvent(
                event_id=str(data["id"])[:80],
                event_type=str(data["type"])[:40],
                payment_reference=str(data["data"]["reference"])[:20],
                amount_minor=int(data["data"]["amount_minor"]),
                currency=str(data["data"]["currency"])[:3],
            )
        except (ValueError, KeyError, TypeError):
            raise SignatureInvalid() from None  # signed but malformed: still not believable


class BankTransferAdapter:
    name: str = Provider.BANK_TRANSFER

    def next_url(self, payment: Payment) -> str:
        return reverse("payments:bank_transfer", args=[payment.reference])

    def verify(self, *, body: bytes, headers: dict[str, str]) -> ProviderEvent:
        raise SignatureInvalid()  # banks do not call us; the operator matches transfers


ADAPTERS: dict[str, Adapter] = {
    Provider.SANDBOX: SandboxAdapter(),
    Provider.BANK_TRANSFER: BankTransferAdapter(),
}


def adapter_for(provider: str) -> Adapter:
    return ADAPTERS[provider]
