from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class VerificationLevel(models.IntegerChoices):
    """Set by the operator only; higher means more was checked."""

    NONE = 0, _("Not verified")
    BUSINESS = 1, _("Business licence verified")
    ONSITE = 2, _("On-site verified")
    DEEP = 3, _("Deep verified (audited factory)")


class BusinessType(models.TextChoices):
    FACTORY = "factory", _("Factory")
    TRADING = "trading", _("Trading company")
