from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from huoyuan.core.schemas import StrictIn


class OrganizationOut(Schema):
    id: int
    kind: str
    name: str
    slug: str


class MembershipOut(Schema):
    id: int
    role: str
    organization: OrganizationOut


class MeOut(Schema):
    id: int
    email: str
    display_name: str
    active_organization: OrganizationOut | None
    memberships: list[MembershipOut]


class MemberOut(Schema):
    id: int
    role: str
    email: str
    display_name: str

    @staticmethod
    def resolve_email(obj: object) -> str:
        return obj.user.email  # type: ignore[attr-defined]

    @staticmethod
    def resolve_display_name(obj: object) -> str:
        return obj.user.display_name  # type: ignore[attr-defined]


class InvitationIn(StrictIn):
    email: str = Field(max_length=254)
    role: str = "staff"


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    created_at: datetime
    expires_at: datetime


class RoleIn(StrictIn):
    role: str


class TokenIn(StrictIn):
    name: str = Field(max_length=80)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str
