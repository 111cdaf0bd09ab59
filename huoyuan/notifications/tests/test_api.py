"""The notifications JSON API: an organization's own notifications, in the reader's language."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from huoyuan.notifications.models import Notification
from huoyuan.notifications.services import Notice, notify_many

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db

LIST = "/api/notifications"
READ = "/api/notifications/read"


def notify(person: Person, message: str, **params: str) -> Notification:
    assert person.organization
    notify_many(
        [
            Notice(
                organization_id=person.organization.pk,
                verb="test.event",
                message=message,
                params=params,
                link="/orders/",
            )
        ]
    )
    return Notification.objects.order_by("-pk")[0]


def read_state() -> list[tuple[int, bool]]:
    return [(n.pk, n.read_at is not None) for n in Notification.objects.order_by("pk")]


def test_members_list_their_organizations_notifications_newest_first(
    buyer_x: Person, buyer_y: Person
) -> None:
    first = notify(buyer_x, "New order %(number)s was placed; it ships once paid.", number="HY1")
    second = notify(buyer_x, "Order %(number)s has shipped.", number="HY1")
    notify(buyer_y, "Order %(number)s has shipped.", number="HY2")

    body = buyer_x.api("GET", LIST).json()

    assert body == {
        "items": [
            {
                "id": second.pk,
                "verb": "test.event",
                "text": "Order HY1 has shipped.",
                "link": "/orders/",
                "created_at": DjangoJSONEncoder().default(second.created_at),
                "read_at": None,
            },
            {
                "id": first.pk,
                "verb": "test.event",
                "text": "New order HY1 was placed; it ships once paid.",
                "link": "/orders/",
                "created_at": DjangoJSONEncoder().default(first.created_at),
                "read_at": None,
            },
        ],
        "count": 2,
    }


@pytest.mark.parametrize(
    ("language", "text"),
    [("de", "Sie sind Yiwu Cups beigetreten."), ("zh-hans", "您已加入Yiwu Cups。")],
)
def test_text_is_rendered_in_the_request_language(
    buyer_x: Person, language: str, text: str
) -> None:
    notify(buyer_x, "You joined %(org)s.", org="Yiwu Cups")
    body = buyer_x.api("GET", LIST, None, **{"Accept-Language": language}).json()
    assert body["items"][0]["text"] == text
    assert Notification.objects.get().message == "You joined %(org)s."


def test_mark_some_read_then_all(buyer_x: Person, buyer_y: Person) -> None:
    first = notify(buyer_x, "Order %(number)s has shipped.", number="HY1")
    second = notify(buyer_x, "Order %(number)s has shipped.", number="HY2")
    other = notify(buyer_y, "Order %(number)s has shipped.", number="HY3")

    response = buyer_x.api("POST", READ, {"ids": [first.pk, other.pk]})
    assert response.status_code == 200
    assert response.json() == {"marked": 1}
    assert read_state() == [(first.pk, True), (second.pk, False), (other.pk, False)]

    assert buyer_x.api("POST", READ, {}).json() == {"marked": 1}
    assert read_state() == [(first.pk, True), (second.pk, True), (other.pk, False)]
    assert buyer_x.api("GET", LIST).json()["items"][0]["read_at"] is not None


def test_another_organizations_notifications_are_never_marked(
    buyer_x: Person, supplier_a: Person
) -> None:
    other = notify(supplier_a, "Order %(number)s has shipped.", number="HY3")
    assert buyer_x.api("POST", READ, {"ids": [other.pk]}).json() == {"marked": 0}
    assert read_state() == [(other.pk, False)]


def test_bad_ids_are_refused_and_nothing_is_marked(buyer_x: Person) -> None:
    first = notify(buyer_x, "Order %(number)s has shipped.", number="HY1")
    for body in ({"ids": "all"}, {"ids": [first.pk], "read_at": None}):
        response = buyer_x.api("POST", READ, body)
        assert response.status_code == 422
    assert read_state() == [(first.pk, False)]


def test_anonymous_callers_are_asked_to_log_in(anonymous: Person) -> None:
    assert anonymous.api("GET", LIST).status_code == 401
    assert anonymous.api("POST", READ, {}).status_code == 401
