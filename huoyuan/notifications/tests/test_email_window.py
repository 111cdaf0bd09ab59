"""One email task per window on a busy process: each notification still gets its email."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.core import mail
from django.test import TestCase, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from huoyuan.notifications import services
from huoyuan.notifications.services import notifications_email_pending, notify_many
from huoyuan.notifications.tests.test_services import notice

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def fresh_window() -> None:
    services._window["until"] = 0.0


@override_settings(TASKS=DATABASE_TASKS)
def test_commits_in_one_window_queue_one_deferred_task_and_all_are_emailed(
    supplier_a: Person, fresh_window: None
) -> None:
    for number in ("HY1", "HY2", "HY3"):
        with TestCase.captureOnCommitCallbacks(execute=True):
            notify_many([notice(supplier_a, number)])
    tasks = list(DBTaskResult.objects.all())
    assert len(tasks) == 1
    assert tasks[0].run_after is not None
    assert tasks[0].run_after > timezone.now()
    # When the task runs (the window's end), every notification of the window is committed.
    assert notifications_email_pending() == 3
    assert len(mail.outbox) == 3

    services._window["until"] = 0.0  # the window has passed
    with TestCase.captureOnCommitCallbacks(execute=True):
        notify_many([notice(supplier_a, "HY4")])
    assert DBTaskResult.objects.count() == 2


def test_a_backend_that_cannot_defer_runs_a_task_per_commit(
    supplier_a: Person, fresh_window: None
) -> None:
    for number in ("HY1", "HY2"):
        with TestCase.captureOnCommitCallbacks(execute=True):
            notify_many([notice(supplier_a, number)])
        assert len(mail.outbox) == int(number[-1])
