"""JSON shapes of in-app notifications."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from huoyuan.core.schemas import StrictIn
from huoyuan.notifications.models import Notification
from huoyuan.notifications.services import notification_text


class NotificationOut(Schema):
    id: int
    verb: str = Field(description='what happened, for programs: "order.paid", "payout.paid", ...')
    text: str = Field(description="the message, in the language of the request")
    link: str
    created_at: datetime
    read_at: datetime | None

    @staticmethod
    def resolve_text(obj: Notification) -> str:
        return notification_text(obj)


class MarkReadIn(StrictIn):
    ids: list[int] | None = Field(None, description="omit to mark every notification read")


class MarkReadOut(Schema):
    marked: int
