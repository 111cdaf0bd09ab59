from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huoyuan.core.errors import ValidationFailed
from huoyuan.core.models import AuditEvent, ExchangeRate, IdempotencyRecord
from huoyuan.core.money import MINOR_DIGITS
from huoyuan.core.pagecache import public_version_bump
from huoyuan.core.selectors import forget_exchange_rates


def exchange_rate_set(*, currency: str, per_cny: Decimal, actor: Any = None) -> ExchangeRate:
    if currency not in MINOR_DIGITS or currency == "CNY":
        raise ValidationFailed(_("Unknown currency."), field="currency")
    if per_cny <= 0:
        raise ValidationFailed(_("A rate must be greater than zero."), field="per_cny")
    with transaction.atomic():
        rate, _created = ExchangeRate.objects.update_or_create(
            currency=currency, defaults={"per_cny": per_cny, "updated_by": actor}
        )
        transaction.on_commit(forget_exchange_rates)
        transaction.on_commit(public_version_bump)
    return rate


def idempotency_prune(*, older_than: timedelta = timedelta(days=2)) -> int:
    """Forget stored responses past their retry window (keys are honoured for at least 24 h)."""
    deleted, _by_model = IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - older_than
    ).delete()
    return deleted


def audit_record(
    *,
    action: str,
    object_type: str,
    object_id: object,
    actor_id: int | None = None,
    organization_id: int | None = None,
    before: Any = None,
    after: Any = None,
) -> None:
    """Append one audit row; call inside the transaction that makes the change."""
    audit_record_many(
        [
            {
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "actor_id": actor_id,
                "organization_id": organization_id,
                "before": before,
                "after": after,
            }
        ]
    )


def audit_record_many(events: list[dict[str, Any]]) -> None:
    """Append several audit rows in one query (keys as ``audit_record``'s arguments)."""
    AuditEvent.objects.bulk_create(
        AuditEvent(**{**event, "object_id": str(event["object_id"])}) for event in events
    )
