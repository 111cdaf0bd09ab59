"""Notify an organization: an in-app row written inside the caller's transaction, so a committed
change always has its notification (and an aborted one never does); email goes out afterwards,
from the rows, by ``notifications_email_pending`` (retried until it succeeds)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from huoyuan.accounts.selectors import organization_notify_recipients
from huoyuan.notifications.models import Notification

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Notice:
    organization_id: int
    verb: str
    message: str  # an untranslated msgid (mark it with gettext_noop) with %(name)s placeholders
    params: dict[str, Any] = field(default_factory=dict)
    link: str = ""


def notify_many(notices: list[Notice]) -> None:
    if not notices:
        return
    Notification.objects.bulk_create(
        Notification(
            organization_id=n.organization_id,
            verb=n.verb,
            message=n.message,
            params=n.params,
            link=n.link,
        )
        for n in notices
    )
    transaction.on_commit(_enqueue_email)


# A busy process (many orders a second) queues one email task per window, not one per commit:
# the task is set to run at the window's end, so it finds every notification committed in the
# window (each is committed before its on-commit callback asks). A backend that cannot defer
# (the immediate one) runs a task per commit as before.
EMAIL_WINDOW_SECONDS = 1.0
_window = {"until": 0.0}
_window_lock = threading.Lock()


def _enqueue_email() -> None:
    from huoyuan.notifications.tasks import notifications_email_pending

    if not notifications_email_pending.get_backend().supports_defer:
        notifications_email_pending.enqueue()
        return
    now = time.monotonic()
    with _window_lock:
        if now < _window["until"]:
            return  # the task queued for this window runs after this commit
        _window["until"] = now + EMAIL_WINDOW_SECONDS
    run_after = timezone.now() + timedelta(seconds=EMAIL_WINDOW_SECONDS)
    notifications_email_pending.using(run_after=run_after).enqueue()


def notification_text(notification: Notification) -> str:
    try:
        return _(notification.message) % notification.params
    except (KeyError, TypeError, ValueError):
        return _(notification.message)


def notifications_mark_read(*, organization_id: int, ids: list[int] | None = None) -> int:
    rows = Notification.objects.filter(organization_id=organization_id, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())


def notifications_mark_emailed() -> int:
    """Treat every notification so far as sent (seeded demo history, imported data)."""
    return Notification.objects.filter(emailed_at__isnull=True).update(emailed_at=timezone.now())


def notifications_email_pending(*, batch: int = 200) -> int:
    """Email every notification not yet emailed to its organization's managers; returns the count.

    Each manager reads it in their own language: one email per language, rendered once, sent to
    every recipient who reads that language. Each row is claimed before sending (``emailed_at`` set
    only where it was still empty), so two workers never send one twice; a failed send un-claims
    the row for the next run.
    """
    sent = 0
    pending = list(Notification.objects.filter(emailed_at__isnull=True).order_by("pk")[:batch])
    if not pending:
        return 0
    # One query for the whole batch, whatever the number of organizations and recipients.
    audiences = {
        organization_id: _by_language(recipients)
        for organization_id, recipients in organization_notify_recipients(
            organization_ids={n.organization_id for n in pending}
        ).items()
    }
    for notification in pending:
        # The claim commits together with the send, never before it: a worker killed between the
        # two (tests/test_crash_safety.py caught it) used to leave the row marked emailed and the
        # email never sent. Now its claim rolls back and the next run sends it (at least once).
        # A second worker waits on the claimed row, then finds it taken.
        with transaction.atomic():
            claimed = Notification.objects.filter(
                pk=notification.pk, emailed_at__isnull=True
            ).update(emailed_at=timezone.now())
            if not claimed:
                continue
            audience = audiences.get(notification.organization_id)
            if not audience:
                continue
            emails = [
                _email(notification, language=language, to=to) for language, to in audience.items()
            ]
            try:
                mailers.default.send_messages(emails)
            except Exception:  # a mail server hiccup: un-claim and try again on the next run
                # Languages already sent go again then too: at least once, as for a crash.
                log.exception("notification %s: email failed", notification.pk)
                transaction.set_rollback(True)
                continue
        sent += 1
    return sent


def _email_language(preferred: str) -> str:
    """The language a recipient reads email in: the one they chose, else the site's.

    The language picked from the menu lives only in the browser's cookie, so the site's language
    is the best guess for someone who never chose. A choice the site no longer offers falls back
    to its closest offered variant ("de-at" to "de"), else to the site's language: never no email.
    """
    if preferred:
        try:
            return translation.get_supported_language_variant(preferred)
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


def _by_language(recipients: list[tuple[str, str]]) -> dict[str, list[str]]:
    audience: dict[str, list[str]] = {}
    for email, preferred in recipients:
        audience.setdefault(_email_language(preferred), []).append(email)
    return audience


def _email(notification: Notification, *, language: str, to: list[str]) -> EmailMessage:
    with translation.override(language):
        text = notification_text(notification)
        subject = _("huoyuan: %(text)s") % {"text": text[:80]}
    link = f"{settings.SITE_URL.rstrip('/')}{notification.link}" if notification.link else ""
    return EmailMessage(subject, f"{text}\n\n{link}".strip(), None, to)
