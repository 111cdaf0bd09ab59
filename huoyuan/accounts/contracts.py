"""Names other apps may use to talk about organizations and roles."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _


class OrganizationKind(models.TextChoices):
    SUPPLIER = "supplier", _("Supplier")
    BUYER = "buyer", _("Buyer")
    OPERATOR = "operator", _("Operator")


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    STAFF = "staff", _("Staff")


class BuyerType(models.TextChoices):
    SHOP = "shop", _("Shop owner")
    LIVESTREAM = "livestream", _("Livestream / short-video seller")
    GROUP_BUY = "group_buy", _("Community group-buy leader")
    CROSS_BORDER = "cross_border", _("Cross-border seller")
    NOVICE = "novice", _("New seller")
    OTHER = "other", _("Other")


MANAGER_ROLES = frozenset({Role.OWNER, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: one user inside one of their organizations (their active membership)."""

    user_id: int
    organization_id: int
    organization_kind: str
    organization_slug: str
    role: str

    @property
    def is_supplier(self) -> bool:
        return self.organization_kind == OrganizationKind.SUPPLIER

    @property
    def is_buyer(self) -> bool:
        return self.organization_kind == OrganizationKind.BUYER

    @property
    def is_operator(self) -> bool:
        return self.organization_kind == OrganizationKind.OPERATOR

    @property
    def can_manage_members(self) -> bool:
        return self.role in MANAGER_ROLES


# Sent inside the creating transaction with ``organization_id`` and ``kind``.
organization_created = Signal()
