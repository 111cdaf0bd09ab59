"""Notifications: rows written in the caller's transaction (an outbox), emailed once to the
organization's owners and admins, retried when the mail server fails, rendered per language."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.test import TestCase, override_settings
from django.utils import translation

from huoyuan.accounts.contracts import Role
from huoyuan.accounts.models import Membership
from huoyuan.accounts.tests.factories import UserFactory
from huoyuan.notifications.models import Notification
from huoyuan.notifications.services import (
    Notice,
    notification_text,
    notifications_email_pending,
    notifications_mark_read,
    notify_many,
)

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db
SHIPPED = "Order %(number)s has shipped."
# A refused connection: what a mail server that is down looks like, through Django's real SMTP
# backend.
MAIL_SERVER_DOWN = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 2},
    }
}


def notice(
    person: Person,
    number: str = "HY1",
    *,
    message: str = SHIPPED,
    params: dict[str, str] | None = None,
    link: str = "/orders/7/",
) -> Notice:
    assert person.organization
    return Notice(
        organization_id=person.organization.pk,
        verb="order.shipped",
        message=message,
        params={"number": number} if params is None else params,
        link=link,
    )


def member(person: Person, email: str, role: str, *, active: bool = True) -> None:
    user = UserFactory(email=email, is_active=active)
    Membership.objects.create(user=user, organization=person.organization, role=role)


def unsent() -> list[int]:
    return list(
        Notification.objects.filter(emailed_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def test_each_notification_is_emailed_once_to_the_owners_and_admins(
    supplier_a: Person, buyer_x: Person
) -> None:
    member(supplier_a, "admin@a.test", Role.ADMIN)
    member(supplier_a, "packer@a.test", Role.STAFF)
    member(supplier_a, "former@a.test", Role.ADMIN, active=False)
    notify_many(
        [notice(supplier_a, "HY1"), notice(supplier_a, "HY2", link=""), notice(buyer_x, "HY3")]
    )

    assert notifications_email_pending() == 3

    site = settings.SITE_URL.rstrip("/")
    assert [(m.subject, m.body, m.to) for m in mail.outbox] == [
        (
            "huoyuan: Order HY1 has shipped.",
            f"Order HY1 has shipped.\n\n{site}/orders/7/",
            ["supplier_a@cast.test", "admin@a.test"],
        ),
        (
            "huoyuan: Order HY2 has shipped.",
            "Order HY2 has shipped.",
            ["supplier_a@cast.test", "admin@a.test"],
        ),
        (
            "huoyuan: Order HY3 has shipped.",
            f"Order HY3 has shipped.\n\n{site}/orders/7/",
            ["buyer_x@cast.test"],
        ),
    ]
    assert unsent() == []

    # The next run finds nothing to send.
    assert notifications_email_pending() == 0
    assert len(mail.outbox) == 3


def test_an_organization_without_managers_to_email_is_not_retried_forever(
    supplier_a: Person,
) -> None:
    Membership.objects.filter(organization=supplier_a.organization).update(role=Role.STAFF)
    notify_many([notice(supplier_a)])

    assert notifications_email_pending() == 0

    assert mail.outbox == []
    assert unsent() == []


def test_a_failed_send_is_retried_on_the_next_run(supplier_a: Person, buyer_x: Person) -> None:
    notify_many([notice(supplier_a, "HY1"), notice(buyer_x, "HY2")])
    waiting = unsent()

    with override_settings(MAILERS=MAIL_SERVER_DOWN):
        assert notifications_email_pending() == 0
    assert unsent() == waiting  # un-claimed: still to send
    assert mail.outbox == []

    assert notifications_email_pending() == 2
    assert [m.subject for m in mail.outbox] == [
        "huoyuan: Order HY1 has shipped.",
        "huoyuan: Order HY2 has shipped.",
    ]
    assert unsent() == []


def test_email_goes_out_after_the_change_commits_and_never_for_a_rolled_back_one(
    supplier_a: Person,
) -> None:
    def failing_change() -> None:
        with transaction.atomic():
            notify_many([notice(supplier_a, "HY-ROLLED-BACK")])
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert not Notification.objects.exists()

    with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
        notify_many([notice(supplier_a, "HY1")])
        assert mail.outbox == []  # nothing before the commit

    assert len(callbacks) == 1
    assert [m.subject for m in mail.outbox] == ["huoyuan: Order HY1 has shipped."]
    assert unsent() == []


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "You joined Acme."),
        ("de", "Sie sind Acme beigetreten."),
        ("zh-hans", "您已加入Acme。"),
    ],
)
def test_the_text_is_rendered_in_the_readers_language(
    supplier_a: Person, language: str, text: str
) -> None:
    # Rows keep the msgid and its parameters, so each reader sees their own language.
    notify_many([notice(supplier_a, message="You joined %(org)s.", params={"org": "Acme"})])
    row = Notification.objects.get()

    with translation.override(language):
        assert notification_text(row) == text


def test_a_message_missing_a_parameter_still_renders(supplier_a: Person) -> None:
    notify_many([notice(supplier_a, params={})])
    row = Notification.objects.get()

    with translation.override("de"):
        assert notification_text(row) == "Bestellung %(number)s wurde versandt."


def test_marking_read_touches_only_the_organizations_own_rows(
    supplier_a: Person, supplier_b: Person
) -> None:
    notify_many([notice(supplier_a, "HY1"), notice(supplier_a, "HY2"), notice(supplier_b, "HY3")])
    first, second, theirs = Notification.objects.order_by("pk")
    assert supplier_a.organization

    assert (
        notifications_mark_read(
            organization_id=supplier_a.organization.pk, ids=[first.pk, theirs.pk]
        )
        == 1
    )
    assert notifications_mark_read(organization_id=supplier_a.organization.pk) == 1
    assert notifications_mark_read(organization_id=supplier_a.organization.pk) == 0

    assert list(Notification.objects.order_by("pk").values_list("read_at", flat=True))[2] is None
    assert all(
        read is not None
        for read in Notification.objects.filter(pk__in=[first.pk, second.pk]).values_list(
            "read_at", flat=True
        )
    )
