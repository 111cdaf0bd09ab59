from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huoyuan.core.errors import ValidationFailed
from huoyuan.core.models import ExchangeRate, IdempotencyRecord
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
