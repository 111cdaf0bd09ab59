"""Notification emails in each recipient's language: the one they chose, else the site's; one
email per language per notification, at a query cost that does not grow with the recipients."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from huoyuan.accounts.contracts import Role
from huoyuan.accounts.models import Membership, User
from huoyuan.accounts.tests.factories import UserFactory
from huoyuan.notifications.models import Notification
from huoyuan.notifications.services import notifications_email_pending, notify_many
from huoyuan.notifications.tests.test_services import MAIL_SERVER_DOWN, notice, unsent

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db


def member(person: Person, email: str, language: str, role: str = Role.ADMIN) -> None:
    user = UserFactory(email=email, preferred_language=language)
    Membership.objects.create(user=user, organization=person.organization, role=role)


def prefer(person: Person, language: str) -> None:
    assert person.user
    User.objects.filter(pk=person.user.pk).update(preferred_language=language)


def sent() -> list[tuple[list[str], str, str]]:
    return [(m.to, m.subject, m.body) for m in mail.outbox]


@pytest.mark.parametrize(
    ("language", "subject", "text"),
    [
        ("de", "huoyuan: Bestellung HY1 wurde versandt.", "Bestellung HY1 wurde versandt."),
        ("zh-hans", "货源：订单HY1已发货。", "订单HY1已发货。"),
        ("", "huoyuan: Order HY1 has shipped.", "Order HY1 has shipped."),  # the site's: en
    ],
)
def test_the_email_is_in_the_recipients_chosen_language(
    supplier_a: Person, language: str, subject: str, text: str
) -> None:
    prefer(supplier_a, language)
    notify_many([notice(supplier_a, "HY1")])

    assert notifications_email_pending() == 1

    site = settings.SITE_URL.rstrip("/")
    assert sent() == [(["supplier_a@cast.test"], subject, f"{text}\n\n{site}/orders/7/")]


def test_a_recipient_without_a_language_gets_the_sites_language(supplier_a: Person) -> None:
    notify_many(
        [notice(supplier_a, message="You joined %(org)s.", params={"org": "Acme"}, link="")]
    )

    with override_settings(LANGUAGE_CODE="de"):
        assert notifications_email_pending() == 1

    assert sent() == [
        (
            ["supplier_a@cast.test"],
            "huoyuan: Sie sind Acme beigetreten.",
            "Sie sind Acme beigetreten.",
        )
    ]


def test_a_mixed_organization_gets_one_email_per_language(
    supplier_a: Person, buyer_x: Person
) -> None:
    prefer(buyer_x, "zh-hans")
    member(supplier_a, "de1@a.test", "de")
    member(supplier_a, "zh@a.test", "zh-hans")
    member(supplier_a, "en@a.test", "en")
    member(supplier_a, "de2@a.test", "de", role=Role.OWNER)
    member(supplier_a, "packer@a.test", "de", role=Role.STAFF)  # staff hear nothing by email
    notify_many([notice(supplier_a, "HY1", link=""), notice(buyer_x, "HY2", link="")])

    assert notifications_email_pending() == 2

    # In the order the recipients joined; the owner chose nothing and reads the site's English.
    assert sent() == [
        (
            ["supplier_a@cast.test", "en@a.test"],
            "huoyuan: Order HY1 has shipped.",
            "Order HY1 has shipped.",
        ),
        (
            ["de1@a.test", "de2@a.test"],
            "huoyuan: Bestellung HY1 wurde versandt.",
            "Bestellung HY1 wurde versandt.",
        ),
        (["zh@a.test"], "货源：订单HY1已发货。", "订单HY1已发货。"),
        (["buyer_x@cast.test"], "货源：订单HY2已发货。", "订单HY2已发货。"),
    ]
    assert unsent() == []


def test_a_language_the_site_does_not_offer_still_gets_the_email(supplier_a: Person) -> None:
    # Stored before the site dropped the language, or written around the form's choices.
    member(supplier_a, "fr@a.test", "fr")
    member(supplier_a, "at@a.test", "de-at")
    member(supplier_a, "odd@a.test", "tlh")
    notify_many([notice(supplier_a, "HY1", link="")])

    assert notifications_email_pending() == 1

    assert [(m.to, m.body) for m in mail.outbox] == [
        (["supplier_a@cast.test", "fr@a.test", "odd@a.test"], "Order HY1 has shipped."),
        (["at@a.test"], "Bestellung HY1 wurde versandt."),  # the closest offered variant
    ]


def test_a_failed_send_retries_every_language(supplier_a: Person) -> None:
    member(supplier_a, "de@a.test", "de")
    notify_many([notice(supplier_a, "HY1", link="")])

    with override_settings(MAILERS=MAIL_SERVER_DOWN):
        assert notifications_email_pending() == 0
    assert len(unsent()) == 1

    assert notifications_email_pending() == 1
    assert [(m.to, m.body) for m in mail.outbox] == [
        (["supplier_a@cast.test"], "Order HY1 has shipped."),
        (["de@a.test"], "Bestellung HY1 wurde versandt."),
    ]


def _send_queries() -> int:
    """Queries of one run of the email job, savepoints aside (the test's transaction adds them)."""
    with CaptureQueriesContext(connection) as captured:
        notifications_email_pending()
    return sum(1 for q in captured.captured_queries if "SAVEPOINT" not in q["sql"].upper())


def test_the_email_job_runs_one_query_per_notification_whatever_the_recipients(
    supplier_a: Person, buyer_x: Person
) -> None:
    notify_many([notice(supplier_a, "HY1"), notice(buyer_x, "HY2")])
    few = _send_queries()
    assert len(mail.outbox) == 2

    for person, tag in ((supplier_a, "a"), (buyer_x, "x")):
        for i, language in enumerate(["de", "zh-hans", "en", "de", "zh-hans", "fr"]):
            member(person, f"{tag}{i}@many.test", language)
    notify_many([notice(supplier_a, "HY3"), notice(buyer_x, "HY4")])
    mail.outbox.clear()
    many = _send_queries()
    assert len(mail.outbox) == 6  # three languages for each of the two notifications
    assert sum(len(m.to) for m in mail.outbox) == 14

    # The pending rows, every recipient of the batch, then one claim per notification.
    assert few == many == 2 + 2
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
