"""The notifications page: the organization's own notifications, in the reader's language."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings

from huoyuan.notifications.models import Notification
from huoyuan.orders.tests.test_views import flash, texts

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db


def shown(response: Any) -> list[str]:
    """Each notification's text as shown, without its time."""
    return [
        re.sub(r" \d{4}-\d{2}-\d{2} \d{2}:\d{2}$", "", n)
        for n in texts(response).get("notification", [])
    ]


def org_id(person: Person) -> int:
    assert person.organization is not None
    return person.organization.pk


@pytest.fixture
def inbox(buyer_x: Person, buyer_y: Person) -> list[Notification]:
    mine = [
        Notification.objects.create(
            organization_id=org_id(buyer_x),
            verb="order.shipped",
            message="Order %(number)s has shipped.",
            params={"number": "HY1"},
            link="/orders/1/",
        ),
        # A msgid the catalogues already translate: the text follows the reader's language.
        Notification.objects.create(
            organization_id=org_id(buyer_x), verb="test", message="MOQ %(moq)s", params={"moq": 20}
        ),
    ]
    Notification.objects.create(organization_id=org_id(buyer_y), verb="x", message="Not yours")
    return mine


def test_lists_the_organizations_notifications_newest_first(
    inbox: list[Notification], buyer_x: Person
) -> None:
    response = buyer_x.client.get("/notifications/")
    assert response.status_code == 200
    assert shown(response) == ["New MOQ 20", "New Order HY1 has shipped."]
    assert texts(response)["unread"] == ["New", "New"]
    assert '<a href="/orders/1/">Order HY1 has shipped.</a>' in response.content.decode()


def test_text_is_in_the_readers_language(inbox: list[Notification], buyer_x: Person) -> None:
    buyer_x.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert shown(buyer_x.client.get("/notifications/"))[0].endswith(" 20件起批")


def test_mark_all_read(inbox: list[Notification], buyer_x: Person, buyer_y: Person) -> None:
    response = buyer_x.client.post("/notifications/read/")
    assert (response.status_code, response["Location"]) == (302, "/notifications/")
    assert flash(response) == ["All notifications marked read."]
    unread = Notification.objects.filter(read_at__isnull=True)
    assert list(unread.values_list("organization_id", flat=True)) == [org_id(buyer_y)]
    assert "unread" not in texts(buyer_x.client.get("/notifications/"))
    assert texts(buyer_y.client.get("/notifications/"))["unread"] == ["New"]


def test_others_see_none_of_them(inbox: list[Notification], supplier_a: Person) -> None:
    assert shown(supplier_a.client.get("/notifications/")) == []
