from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from huoyuan.accounts.contracts import MANAGER_ROLES, Actor, OrganizationKind
from huoyuan.accounts.errors import NotFound
from huoyuan.accounts.models import ApiToken, Invitation, Membership, Organization, User


def actor_from_membership(membership: Membership) -> Actor:
    org = membership.organization
    return Actor(
        user_id=membership.user_id,
        organization_id=org.pk,
        organization_kind=org.kind,
        organization_slug=org.slug,
        role=membership.role,
    )


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, organization__is_active=True)
        .select_related("organization")
        .order_by("organization__name", "pk")
    )


def membership_get_for_user(*, user: User, organization_id: int | None) -> Membership | None:
    """The membership to act through: the one asked for, else the user's first."""
    memberships = membership_list_for_user(user=user)
    if organization_id is not None:
        chosen = memberships.filter(organization_id=organization_id).first()
        if chosen is not None:
            return chosen
    return memberships.first()


def organization_member_list(*, actor: Actor) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization_id=actor.organization_id)
        .select_related("user")
        .order_by("user__email")
    )


def invitation_list_pending(*, actor: Actor) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        organization_id=actor.organization_id,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).select_related("invited_by")


def invitation_get_by_token(*, token: str) -> Invitation:
    digest = hashlib.sha256(token.encode()).hexdigest()
    invitation = Invitation.objects.select_related("organization").filter(token_hash=digest).first()
    if invitation is None:
        raise NotFound()
    return invitation


def invitation_is_open(*, invitation: Invitation) -> bool:
    return (
        invitation.accepted_at is None
        and invitation.revoked_at is None
        and invitation.expires_at > timezone.now()
    )


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).select_related(
        "organization"
    )


def api_token_authenticate(*, raw: str) -> tuple[User, Membership] | None:
    digest = hashlib.sha256(raw.encode()).hexdigest()
    token = (
        ApiToken.objects.select_related("user", "organization")
        .filter(key_hash=digest, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    membership = (
        Membership.objects.select_related("organization", "user")
        .filter(user_id=token.user_id, organization_id=token.organization_id)
        .first()
    )
    if membership is None or not membership.organization.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, membership


def operator_organization_ids() -> QuerySet[Organization]:
    return Organization.objects.filter(kind=OrganizationKind.OPERATOR)


def _notified(organization_ids: Iterable[int]) -> QuerySet[Membership]:
    """Who hears about an organization's orders by email: its active owners and admins."""
    return Membership.objects.filter(
        organization_id__in=list(organization_ids),
        role__in=list(MANAGER_ROLES),
        user__is_active=True,
    ).order_by("pk")


def organization_notify_emails(*, organization_id: int) -> list[str]:
    return list(_notified([organization_id]).values_list("user__email", flat=True))


def organization_notify_recipients(
    *, organization_ids: Iterable[int]
) -> dict[int, list[tuple[str, str]]]:
    """Each organization's email recipients as (email, preferred language or ""), in one query."""
    recipients: dict[int, list[tuple[str, str]]] = {}
    rows = _notified(organization_ids).values_list(
        "organization_id", "user__email", "user__preferred_language"
    )
    for organization_id, email, language in rows:
        recipients.setdefault(organization_id, []).append((email, language))
    return recipients


def organization_names(*, ids: list[int]) -> dict[int, str]:
    return dict(Organization.objects.filter(pk__in=ids).values_list("pk", "name"))
