from __future__ import annotations

from django.tasks import task

from huoyuan.payments import sandbox


@task()
def sandbox_deliver(body: str) -> str:
    return sandbox.deliver(body.encode())
