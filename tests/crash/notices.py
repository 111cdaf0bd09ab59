"""Notifications and emails after a crash: each status change told once, no email lost."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import translation

from huoyuan.accounts.selectors import organization_notify_emails
from huoyuan.notifications.models import Notification
from huoyuan.notifications.services import notification_text, notifications_email_pending
from huoyuan.orders.lifecycle import MESSAGES
from huoyuan.orders.models import Order, OrderEvent
from huoyuan.payments.models import Payment, Payout


def _notification_key(verb: str, link: str, params: dict[str, Any]) -> str:
    """What a notification is about: an order (its link), a payment or a payout. Not its verb:
    the wording of each move's news is the lifecycle's business, how many are sent is ours."""
    if verb.startswith("payout."):
        return f"payout {params.get('id')}"
    return link or f"payment {params.get('reference')}"


def _expected_notifications() -> Counter[tuple[int, str]]:
    """(organization, what about) for every notification the history says was sent."""
    buyers = dict(Order.objects.values_list("pk", "buyer_id"))
    suppliers = dict(Order.objects.values_list("pk", "supplier_id"))
    late_checkouts = set()
    expected: Counter[tuple[int, str]] = Counter()
    for order_id, from_status, to_status, party, checkout_id in OrderEvent.objects.values_list(
        "order_id", "from_status", "to_status", "party", "order__checkout_id"
    ):
        buyer, supplier, link = buyers[order_id], suppliers[order_id], f"/orders/{order_id}/"
        if from_status == "":  # placed: the supplier hears of it
            expected[(supplier, link)] += 1
        elif from_status == to_status == "paid":  # a partial shipment: the buyer hears of it
            expected[(buyer, link)] += 1
        elif from_status == to_status == "cancelled":  # paid late: the payment's news
            late_checkouts.add(checkout_id)
        elif to_status in MESSAGES:  # whoever did not act; both for the system or operator
            targets = {"buyer": [supplier], "supplier": [buyer]}.get(party, [buyer, supplier])
            for target in targets:
                expected[(target, link)] += 1
    for buyer, reference in Payment.objects.filter(
        status="captured", checkout_id__in=late_checkouts
    ).values_list("buyer_id", "reference"):
        expected[(buyer, f"payment {reference}")] += 1
    for supplier, pk in Payout.objects.filter(status="paid").values_list("supplier_id", "pk"):
        expected[(supplier, f"payout {pk}")] += 1
    return expected


def check_notifications(data: Path, problems: list[str], *, drain: bool) -> dict[str, int]:
    actual: Counter[tuple[int, str]] = Counter(
        (org, _notification_key(verb, link, params))
        for org, verb, link, params in Notification.objects.values_list(
            "organization_id", "verb", "link", "params"
        )
    )
    expected = _expected_notifications()
    problems.extend(
        f"notifications to {key[0]} about {key[1]}: {actual[key]}, history says {expected[key]}"
        for key in sorted(set(expected) | set(actual))
        if expected[key] != actual[key]
    )
    if drain:  # what the next run of the email job does after a restart
        notifications_email_pending(batch=100_000)
        unsent = Notification.objects.filter(emailed_at__isnull=True).count()
        if unsent:
            problems.append(f"{unsent} notifications still not emailed after the email job ran")
    mailbox = data / "mailbox"
    mails: Counter[tuple[str, str]] = Counter()
    if mailbox.exists():
        for line in mailbox.read_text(encoding="utf-8").splitlines(keepends=True):
            if line.endswith("\n"):
                mail = json.loads(line)
                for to in mail["to"]:
                    mails[(to, mail["body"].split("\n")[0])] += 1
    emailed: Counter[tuple[str, str]] = Counter()
    recipients: dict[int, list[str]] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for notification in Notification.objects.filter(emailed_at__isnull=False):
            org = notification.organization_id
            if org not in recipients:
                recipients[org] = organization_notify_emails(organization_id=org)
            for to in recipients[org]:
                emailed[(to, notification_text(notification))] += 1
    lost = sum(max(0, count - mails[key]) for key, count in emailed.items())
    if lost:
        problems.append(f"{lost} notifications marked emailed were never sent")
    return {
        "notifications": sum(actual.values()),
        "emailed": sum(emailed.values()),
        "mails": sum(mails.values()),
    }
