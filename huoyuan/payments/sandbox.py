"""The sandbox provider's own side: its hosted confirm page decides, then it sends webhooks.

It behaves as real providers do (and as their failure reports describe): a "processing" event
and a "succeeded" or "failed" one, each signed, and with ``SANDBOX_CHAOS`` on some delivered
twice, some late (seconds to a minute) and in either order. Deliveries go over HTTP to
``SANDBOX_WEBHOOK_URL`` when it is set, otherwise in-process to the same handler the HTTP
endpoint calls, so tests and the demo exercise the same verification.
"""

from __future__ import annotations

import json
import logging
import random
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huoyuan.accounts.contracts import Actor
from huoyuan.payments.adapters import SIGNATURE_HEADER, sign
from huoyuan.payments.contracts import PaymentStatus, Provider
from huoyuan.payments.errors import Conflict, NotFound, SignatureInvalid, ValidationFailed
from huoyuan.payments.models import Payment

log = logging.getLogger(__name__)
OUTCOMES = {"succeed": "payment.succeeded", "fail": "payment.failed"}


def event_body(payment: Payment, event_type: str) -> bytes:
    return json.dumps(
        {
            "id": f"evt_{payment.reference}_{event_type.split('.')[-1]}",
            "type": event_type,
            "created": int(timezone.now().timestamp()),
            "data": {
                "reference": payment.reference,
                "amount_minor": payment.amount_minor,
                "currency": payment.currency,
            },
        },
        separators=(",", ":"),
    ).encode()


def sandbox_decide(*, actor: Actor, reference: str, outcome: str) -> Payment:
    """The buyer pressed pay (or cancel) on the provider's page: schedule its webhooks."""
    if outcome not in OUTCOMES:
        raise ValidationFailed(_("Choose to pay or to decline."), field="outcome")
    payment = Payment.objects.filter(
        reference=reference, buyer_id=actor.organization_id, provider=Provider.SANDBOX
    ).first()
    if payment is None:
        raise NotFound()
    if payment.status in (PaymentStatus.CAPTURED, PaymentStatus.FAILED, PaymentStatus.CANCELLED):
        raise Conflict(_("This payment is already settled."))
    bodies = [event_body(payment, "payment.processing"), event_body(payment, OUTCOMES[outcome])]
    schedule = [(body, 0) for body in bodies]
    if settings.SANDBOX_CHAOS:
        rng = random.Random()  # noqa: S311 - chaos for a simulator, not security
        if rng.random() < 0.3:
            schedule.reverse()  # out of order: the result before "processing"
        if rng.random() < 0.3:
            schedule.append((rng.choice(bodies), rng.randint(1, 30)))  # a duplicate, later
        if rng.random() < 0.2:
            schedule = [(body, delay + rng.randint(2, 20)) for body, delay in schedule]  # late
    transaction.on_commit(lambda: _enqueue(schedule))
    return payment


def _enqueue(schedule: list[tuple[bytes, int]]) -> None:
    from huoyuan.payments.tasks import sandbox_deliver

    for body, delay in schedule:
        task = sandbox_deliver
        if delay and task.get_backend().supports_defer:
            task = task.using(run_after=timezone.now() + timedelta(seconds=delay))
        task.enqueue(body.decode())


def deliver(body: bytes) -> str:
    """Send one signed delivery, as the provider would; returns what our endpoint said."""
    headers = {SIGNATURE_HEADER: sign(body), "Content-Type": "application/json"}
    url = settings.SANDBOX_WEBHOOK_URL
    if url:
        # Only http(s): settings refuse anything else at start-up, and this checks again.
        if not url.startswith(("http://", "https://")):
            raise ValueError("HUOYUAN_SANDBOX_WEBHOOK_URL must be an http(s) URL")
        request = urllib.request.Request(  # noqa: S310  # nosec B310 - http(s) checked above
            url, data=body, headers=headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  # nosec B310
            return response.read().decode()
    from huoyuan.payments.services import webhook_receive

    try:
        return webhook_receive(provider=Provider.SANDBOX, body=body, headers=headers)
    except SignatureInvalid:
        log.exception("sandbox delivery refused by our own endpoint")
        return "refused"
