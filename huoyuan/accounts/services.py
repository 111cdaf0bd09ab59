from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin

from huoyuan.accounts.contracts import (
    Actor,
    BuyerType,
    OrganizationKind,
    Role,
    organization_created,
)
from huoyuan.accounts.errors import (
    Conflict,
    InvitationInvalid,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from huoyuan.accounts.models import ApiToken, Invitation, Membership, Organization, User
from huoyuan.accounts.selectors import invitation_get_by_token
from huoyuan.core.pagecache import public_version_bump
from huoyuan.core.services import audit_record


def _unique_slug(name: str) -> str:
    """An ASCII web address from any name; Chinese becomes pinyin (瓷厂 → ci-chang)."""
    base = slugify(" ".join(lazy_pinyin(name)), allow_unicode=False)[:60].strip("-") or "org"
    slug = base
    while Organization.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed(_("Enter a valid email address."), field="email") from None
    return email


def user_signup(
    *,
    email: str,
    password: str,
    display_name: str = "",
    organization_kind: str | None = None,
    organization_name: str = "",
    buyer_type: str = "",
    password_hash: str | None = None,
) -> User:
    """Create a person and, if asked, their first organization with them as owner.

    Set-up commands that create many accounts may pass ``password_hash`` (made once with
    ``make_password``) instead of hashing the same password again for every account.
    """
    email = _clean_email(email)
    if organization_kind is not None and organization_kind not in (
        OrganizationKind.SUPPLIER,
        OrganizationKind.BUYER,
    ):
        raise ValidationFailed(_("Choose supplier or buyer."), field="organization_kind")
    if organization_kind and not organization_name.strip():
        raise ValidationFailed(_("Enter your company or shop name."), field="organization_name")
    if buyer_type and buyer_type not in BuyerType.values:
        raise ValidationFailed(_("Choose a buyer type from the list."), field="buyer_type")
    candidate = User(email=email, display_name=display_name)
    if password_hash is None:
        try:
            validate_password(password, user=candidate)
        except DjangoValidationError as exc:
            raise ValidationFailed(" ".join(exc.messages), field="password") from None
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise Conflict(_("An account with this email address already exists."), field="email")
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email=email,
                    password=None if password_hash else password,
                    display_name=display_name.strip(),
                )
                if password_hash:
                    user.password = password_hash
                    user.save(update_fields=["password"])
        except IntegrityError:
            raise Conflict(
                _("An account with this email address already exists."), field="email"
            ) from None
        if organization_kind:
            organization_create(
                user=user,
                kind=organization_kind,
                name=organization_name,
                buyer_type=buyer_type,
            )
    return user


def organization_create(*, user: User, kind: str, name: str, buyer_type: str = "") -> Organization:
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationFailed(_("Enter a name of 1 to 120 characters."), field="name")
    if kind not in (OrganizationKind.SUPPLIER, OrganizationKind.BUYER):
        raise ValidationFailed(_("Choose supplier or buyer."), field="kind")
    with transaction.atomic():
        org = Organization.objects.create(
            kind=kind,
            name=name,
            slug=_unique_slug(name),
            buyer_type=buyer_type if kind == OrganizationKind.BUYER else "",
        )
        Membership.objects.create(user=user, organization=org, role=Role.OWNER)
        # Apps built on accounts (suppliers: the profile) add their part in the same transaction.
        organization_created.send(sender=Organization, organization_id=org.pk, kind=kind)
        transaction.on_commit(public_version_bump)
    return org


def operator_organization_create(*, user: User, name: str) -> Organization:
    """The platform's own organization; only set-up commands call this, never a web form."""
    with transaction.atomic():
        org = Organization.objects.create(
            kind=OrganizationKind.OPERATOR, name=name, slug=_unique_slug(name)
        )
        Membership.objects.create(user=user, organization=org, role=Role.OWNER)
    return org


def profile_update(*, user: User, display_name: str, phone: str, preferred_language: str) -> User:
    if preferred_language and preferred_language not in dict(settings.LANGUAGES):
        raise ValidationFailed(_("Choose a language from the list."), field="preferred_language")
    user.display_name = display_name.strip()[:100]
    user.phone = phone.strip()[:32]
    user.preferred_language = preferred_language
    user.save(update_fields=["display_name", "phone", "preferred_language"])
    return user


def _require_manager(actor: Actor) -> None:
    if not actor.can_manage_members:
        raise PermissionDenied(_("Only owners and admins can manage members."))


def invitation_create(*, actor: Actor, email: str, role: str, accept_url: str) -> Invitation:
    """Invite someone by email; ``accept_url`` is given the token as its last path segment."""
    _require_manager(actor)
    email = _clean_email(email)
    if role not in Role.values:
        raise ValidationFailed(_("Choose a role from the list."), field="role")
    if role == Role.OWNER and actor.role != Role.OWNER:
        raise PermissionDenied(_("Only an owner can invite another owner."), field="role")
    if Membership.objects.filter(
        organization_id=actor.organization_id, user__email__iexact=email
    ).exists():
        raise Conflict(_("This person is already a member."), field="email")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organization_id=actor.organization_id,
            email=email,
            role=role,
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            invited_by_id=actor.user_id,
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
        )
        org_name = invitation.organization.name
        link = accept_url.rstrip("/") + "/" + token + "/"
        transaction.on_commit(
            lambda: send_mail(
                _("You are invited to join %(org)s on huoyuan") % {"org": org_name},
                _("Open this link to accept (valid for %(days)s days): %(link)s")
                % {"days": settings.INVITATION_DAYS, "link": link},
                None,
                [email],
            )
        )
    return invitation


def invitation_revoke(*, actor: Actor, invitation_id: int) -> None:
    _require_manager(actor)
    updated = Invitation.objects.filter(
        pk=invitation_id,
        organization_id=actor.organization_id,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).update(revoked_at=timezone.now())
    if not updated:
        raise NotFound()


def invitation_accept(*, user: User, token: str) -> Membership:
    try:
        invitation = invitation_get_by_token(token=token)
    except NotFound:
        raise InvitationInvalid() from None
    with transaction.atomic():
        # Conditional update: two clicks on the same link accept it once.
        claimed = Invitation.objects.filter(
            pk=invitation.pk,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).update(accepted_at=timezone.now(), accepted_by=user)
        if not claimed:
            raise InvitationInvalid()
        if invitation.email.lower() != user.email.lower():
            raise InvitationInvalid(
                _("This invitation was sent to another email address; log in as that person.")
            )
        membership, _created = Membership.objects.get_or_create(
            user=user, organization=invitation.organization, defaults={"role": invitation.role}
        )
    return membership


def membership_change_role(*, actor: Actor, membership_id: int, role: str) -> Membership:
    _require_manager(actor)
    if role not in Role.values:
        raise ValidationFailed(_("Choose a role from the list."), field="role")
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .filter(pk=membership_id, organization_id=actor.organization_id)
            .first()
        )
        if membership is None:
            raise NotFound()
        if Role.OWNER in (role, membership.role) and actor.role != Role.OWNER:
            raise PermissionDenied(_("Only an owner can grant or take away ownership."))
        if membership.role == Role.OWNER and role != Role.OWNER:
            _keep_one_owner(actor.organization_id, leaving=membership.pk)
        before = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        audit_record(
            action="membership.role_changed",
            object_type="membership",
            object_id=membership.pk,
            actor_id=actor.user_id,
            organization_id=actor.organization_id,
            before={"role": before, "user_id": membership.user_id},
            after={"role": role, "user_id": membership.user_id},
        )
    return membership


def membership_remove(*, actor: Actor, membership_id: int) -> None:
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .filter(pk=membership_id, organization_id=actor.organization_id)
            .first()
        )
        if membership is None:
            raise NotFound()
        if membership.user_id != actor.user_id:
            _require_manager(actor)
            if membership.role == Role.OWNER and actor.role != Role.OWNER:
                raise PermissionDenied(_("Only an owner can remove an owner."))
        if membership.role == Role.OWNER:
            _keep_one_owner(actor.organization_id, leaving=membership.pk)
        audit_record(
            action="membership.removed",
            object_type="membership",
            object_id=membership.pk,
            actor_id=actor.user_id,
            organization_id=actor.organization_id,
            before={"role": membership.role, "user_id": membership.user_id},
        )
        membership.delete()


def _keep_one_owner(organization_id: int, *, leaving: int) -> None:
    owners = list(
        Membership.objects.select_for_update()
        .filter(organization_id=organization_id, role=Role.OWNER)
        .exclude(pk=leaving)
        .values_list("pk", flat=True)
    )
    if not owners:
        raise Conflict(
            _("An organization needs at least one owner; make someone else owner first.")
        )


def api_token_create(*, actor: Actor, name: str) -> tuple[ApiToken, str]:
    """Return the token and its secret, which is shown once and never stored."""
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationFailed(_("Give the token a name of 1 to 80 characters."), field="name")
    if ApiToken.objects.filter(user_id=actor.user_id, revoked_at__isnull=True).count() >= 20:
        raise Conflict(_("You have 20 active tokens; revoke one first."))
    raw = "hy_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user_id=actor.user_id,
        organization_id=actor.organization_id,
        name=name,
        prefix=raw[:10],
        key_hash=hashlib.sha256(raw.encode()).hexdigest(),
    )
    return token, raw


def api_token_revoke(*, user: User, token_id: int) -> None:
    updated = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not updated:
        raise NotFound()
