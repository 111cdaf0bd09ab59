from __future__ import annotations

from django.db.models import QuerySet

from huoyuan.notifications.models import Notification


def notification_list(*, organization_id: int) -> QuerySet[Notification]:
    return Notification.objects.filter(organization_id=organization_id).order_by("-pk")


def unread_count(*, organization_id: int) -> int:
    return Notification.objects.filter(
        organization_id=organization_id, read_at__isnull=True
    ).count()
