from __future__ import annotations

from django.tasks import task

from huoyuan.notifications import services


@task()
def notifications_email_pending() -> int:
    return services.notifications_email_pending()
