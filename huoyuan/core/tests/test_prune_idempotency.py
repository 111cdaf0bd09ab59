from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from huoyuan.core.models import IdempotencyRecord

pytestmark = pytest.mark.django_db


def _record(key: str, age: timedelta) -> None:
    record = IdempotencyRecord.objects.create(
        scope="user:1", key=key, fingerprint="f", status_code=201, content_type="x", body=b""
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - age)


def test_prunes_only_records_past_the_retry_window():
    _record("old", timedelta(days=3))
    _record("recent", timedelta(hours=23))
    out = StringIO()
    call_command("prune_idempotency", stdout=out)
    assert out.getvalue().strip() == "Removed 1 stored responses."
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recent"]


def test_refuses_a_window_shorter_than_a_day():
    _record("recent", timedelta(hours=1))
    with pytest.raises(CommandError, match="at least 1"):
        call_command("prune_idempotency", "--days", "0")
    assert IdempotencyRecord.objects.count() == 1
