"""Accounts services and selectors: signup, organizations, invitations, members, API tokens."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation

from huoyuan.accounts.contracts import OrganizationKind, Role
from huoyuan.accounts.errors import (
    Conflict,
    InvitationInvalid,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from huoyuan.accounts.models import ApiToken, Invitation, Membership, Organization, User
from huoyuan.accounts.selectors import (
    actor_from_membership,
    api_token_authenticate,
    api_token_list,
    invitation_list_pending,
    membership_get_for_user,
    organization_member_list,
)
from huoyuan.accounts.services import (
    api_token_create,
    api_token_revoke,
    invitation_accept,
    invitation_create,
    invitation_revoke,
    membership_change_role,
    membership_remove,
    organization_create,
    profile_update,
    user_signup,
)
from huoyuan.accounts.tests.factories import MembershipFactory, UserFactory
from huoyuan.suppliers.contracts import BusinessType, VerificationLevel
from huoyuan.suppliers.models import SupplierProfile

pytestmark = pytest.mark.django_db

ACCEPT_URL = "http://testserver/accounts/invitations/accept/"
STRONG = "violet-harbour-lantern-42"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _member(person, role, email):
    """Someone else in ``person``'s organization, with the given role."""
    membership = MembershipFactory(
        user=UserFactory(email=email), organization=person.organization, role=role
    )
    return membership, actor_from_membership(membership)


def _counts():
    return (
        User.objects.count(),
        Organization.objects.count(),
        Membership.objects.count(),
        SupplierProfile.objects.count(),
    )


def _invite(actor, email="new.person@example.test", role=Role.STAFF, capture=None):
    """Create an invitation and return it with the raw token from the emailed link."""
    with capture(execute=True):
        invitation = invitation_create(actor=actor, email=email, role=role, accept_url=ACCEPT_URL)
    link = mail.outbox[-1].body.split(": ", 1)[1].strip()
    token = link.removeprefix(ACCEPT_URL).strip("/")
    return invitation, token


# --- signup ------------------------------------------------------------------------------------


def test_signup_creates_user_buyer_organization_and_owner_membership():
    user = user_signup(
        email="  Li.Wei@Example.TEST ",
        password=STRONG,
        display_name="  Li Wei ",
        organization_kind=OrganizationKind.BUYER,
        organization_name="  Wei Livestream Shop ",
        buyer_type="livestream",
    )
    user.refresh_from_db()
    assert user.email == "li.wei@example.test"
    assert user.display_name == "Li Wei"
    assert user.check_password(STRONG)
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)
    membership = Membership.objects.select_related("organization").get(user=user)
    assert membership.role == Role.OWNER
    org = membership.organization
    assert (org.kind, org.name, org.slug, org.buyer_type, org.is_active) == (
        "buyer",
        "Wei Livestream Shop",
        "wei-livestream-shop",
        "livestream",
        True,
    )
    assert SupplierProfile.objects.count() == 0


def test_supplier_signup_creates_supplier_profile_with_defaults():
    user = user_signup(
        email="factory@example.test",
        password=STRONG,
        organization_kind=OrganizationKind.SUPPLIER,
        organization_name="Yiwu Ceramics",
        buyer_type="shop",
    )
    org = Organization.objects.get(memberships__user=user)
    assert (org.kind, org.slug, org.buyer_type) == ("supplier", "yiwu-ceramics", "")
    profile = SupplierProfile.objects.get(organization=org)
    assert profile.business_type == BusinessType.FACTORY
    assert profile.verification_level == VerificationLevel.NONE
    assert profile.verification_requested_at is None


def test_signup_without_organization_creates_only_the_user():
    user = user_signup(email="solo@example.test", password=STRONG)
    assert User.objects.filter(pk=user.pk).exists()
    assert Membership.objects.count() == 0
    assert Organization.objects.count() == 0


def test_signup_gives_same_named_organizations_distinct_slugs():
    user_signup(
        email="a@example.test", password=STRONG, organization_kind="buyer", organization_name="Acme"
    )
    user_signup(
        email="b@example.test", password=STRONG, organization_kind="buyer", organization_name="Acme"
    )
    first, second = Organization.objects.order_by("pk").values_list("slug", flat=True)
    assert first == "acme"
    assert second.startswith("acme-")
    assert len(second) == len("acme-") + 6


def test_signup_with_chinese_name_gets_an_ascii_slug():
    user_signup(
        email="c@example.test",
        password=STRONG,
        organization_kind="buyer",
        organization_name="义乌小店",
    )
    assert Organization.objects.get().slug == "yi-wu-xiao-dian"
    assert Organization.objects.get().name == "义乌小店"


def test_rejects_duplicate_email_case_insensitively_and_creates_nothing(supplier_a):
    before = _counts()
    with pytest.raises(Conflict) as caught:
        user_signup(
            email="SUPPLIER_A@Cast.Test",
            password=STRONG,
            organization_kind=OrganizationKind.SUPPLIER,
            organization_name="Copycat Factory",
        )
    assert caught.value.as_dict() == {
        "code": "conflict",
        "message": "An account with this email address already exists.",
        "field": "email",
    }
    assert _counts() == before
    assert not Organization.objects.filter(name="Copycat Factory").exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("12345678", "This password is too common. This password is entirely numeric."),
        ("xq7#Lp", "This password is too short. It must contain at least 8 characters."),
        ("wang.fang@example.test", "The password is too similar to the email address."),
    ],
)
def test_rejects_weak_password_with_django_validator_messages(password, message):
    with pytest.raises(ValidationFailed) as caught:
        user_signup(
            email="wang.fang@example.test",
            password=password,
            organization_kind="buyer",
            organization_name="Fang Shop",
        )
    assert caught.value.as_dict() == {"code": "invalid", "message": message, "field": "password"}
    assert _counts() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"organization_kind": "operator"}, "organization_kind", "Choose supplier or buyer."),
        ({"organization_name": "   "}, "organization_name", "Enter your company or shop name."),
        ({"buyer_type": "wholesaler"}, "buyer_type", "Choose a buyer type from the list."),
    ],
)
def test_rejects_invalid_signup_and_creates_nothing(overrides, field, message):
    values = {
        "email": "zhao@example.test",
        "password": STRONG,
        "organization_kind": "buyer",
        "organization_name": "Zhao Trading",
        "buyer_type": "",
        **overrides,
    }
    with pytest.raises(ValidationFailed) as caught:
        user_signup(**values)
    assert (caught.value.field, str(caught.value.message)) == (field, message)
    assert _counts() == (0, 0, 0, 0)


# --- organizations and profile -------------------------------------------------------------------


def test_organization_create_makes_the_user_owner(buyer_x):
    org = organization_create(user=buyer_x.user, kind="supplier", name=" Second Line ")
    assert (org.kind, org.name, org.slug, org.buyer_type) == (
        "supplier",
        "Second Line",
        "second-line",
        "",
    )
    assert Membership.objects.get(user=buyer_x.user, organization=org).role == Role.OWNER
    assert SupplierProfile.objects.filter(organization=org).count() == 1


def test_organization_create_keeps_buyer_type_only_for_buyers(buyer_x):
    buyer = organization_create(user=buyer_x.user, kind="buyer", name="Shop Two", buyer_type="shop")
    supplier = organization_create(
        user=buyer_x.user, kind="supplier", name="Works Two", buyer_type="shop"
    )
    assert (buyer.buyer_type, supplier.buyer_type) == ("shop", "")


@pytest.mark.parametrize(
    ("kind", "name", "field", "message"),
    [
        ("buyer", "  ", "name", "Enter a name of 1 to 120 characters."),
        ("buyer", "x" * 121, "name", "Enter a name of 1 to 120 characters."),
        ("operator", "Sneaky Operator", "kind", "Choose supplier or buyer."),
    ],
)
def test_rejects_invalid_organization_and_creates_nothing(buyer_x, kind, name, field, message):
    before = _counts()
    with pytest.raises(ValidationFailed) as caught:
        organization_create(user=buyer_x.user, kind=kind, name=name)
    assert (caught.value.field, str(caught.value.message)) == (field, message)
    assert _counts() == before


def test_profile_update_saves_trimmed_values(buyer_x):
    profile_update(
        user=buyer_x.user,
        display_name="  Xiao Ming ",
        phone=" +86 138 0000 0000 ",
        preferred_language="de",
    )
    user = User.objects.get(pk=buyer_x.user.pk)
    assert (user.display_name, user.phone, user.preferred_language) == (
        "Xiao Ming",
        "+86 138 0000 0000",
        "de",
    )


def test_rejects_unknown_profile_language_and_changes_nothing(buyer_x):
    with pytest.raises(ValidationFailed) as caught:
        profile_update(
            user=buyer_x.user, display_name="Changed", phone="1", preferred_language="fr"
        )
    assert (caught.value.field, str(caught.value.message)) == (
        "preferred_language",
        "Choose a language from the list.",
    )
    user = User.objects.get(pk=buyer_x.user.pk)
    assert (user.display_name, user.phone, user.preferred_language) == ("buyer_x", "", "")


def test_active_membership_is_the_one_asked_for_else_the_first(buyer_x, supplier_a):
    second = MembershipFactory(
        user=buyer_x.user, organization=supplier_a.organization, role=Role.STAFF
    )
    chosen = membership_get_for_user(user=buyer_x.user, organization_id=supplier_a.organization.pk)
    assert chosen == second
    first = membership_get_for_user(user=buyer_x.user, organization_id=None)
    assert first.organization == buyer_x.organization  # "buyer_x Co." sorts before "supplier_a Co."
    # An organization the user does not belong to falls back to their first, never to that one.
    other = membership_get_for_user(
        user=buyer_x.user, organization_id=buyer_x.organization.pk + 999
    )
    assert other.organization == buyer_x.organization


# --- invitations -------------------------------------------------------------------------------


def test_invitation_create_emails_a_link_with_the_token(
    supplier_a, django_capture_on_commit_callbacks
):
    invitation, token = _invite(
        supplier_a.actor,
        email=" New.Person@Example.TEST ",
        role=Role.ADMIN,
        capture=django_capture_on_commit_callbacks,
    )
    assert (invitation.organization_id, invitation.email, invitation.role) == (
        supplier_a.organization.pk,
        "new.person@example.test",
        "admin",
    )
    assert invitation.invited_by_id == supplier_a.user.pk
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert timedelta(days=6, hours=23) < invitation.expires_at - timezone.now() <= timedelta(days=7)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.test"]
    assert message.subject == "You are invited to join supplier_a Co. on huoyuan"
    assert message.body == (f"Open this link to accept (valid for 7 days): {ACCEPT_URL}{token}/")
    assert list(invitation_list_pending(actor=supplier_a.actor)) == [invitation]


def test_accepting_an_invitation_joins_with_the_invited_role(
    supplier_a, django_capture_on_commit_callbacks
):
    invitation, token = _invite(
        supplier_a.actor, role=Role.ADMIN, capture=django_capture_on_commit_callbacks
    )
    invitee = UserFactory(email="new.person@example.test")
    membership = invitation_accept(user=invitee, token=token)
    assert (membership.user, membership.organization, membership.role) == (
        invitee,
        supplier_a.organization,
        "admin",
    )
    invitation.refresh_from_db()
    assert invitation.accepted_by == invitee
    assert invitation.accepted_at is not None
    assert list(invitation_list_pending(actor=supplier_a.actor)) == []


def test_accepting_twice_is_refused_and_adds_no_membership(
    supplier_a, django_capture_on_commit_callbacks
):
    invitation, token = _invite(supplier_a.actor, capture=django_capture_on_commit_callbacks)
    invitee = UserFactory(email="new.person@example.test")
    invitation_accept(user=invitee, token=token)
    accepted_at = Invitation.objects.get(pk=invitation.pk).accepted_at
    with pytest.raises(InvitationInvalid) as caught:
        invitation_accept(user=invitee, token=token)
    assert caught.value.as_dict() == {
        "code": "invitation_invalid",
        "message": "This invitation link is invalid, expired or already used.",
        "field": None,
    }
    assert Membership.objects.filter(user=invitee).count() == 1
    assert Invitation.objects.get(pk=invitation.pk).accepted_at == accepted_at


def test_rejects_expired_invitation_and_adds_no_membership(
    supplier_a, django_capture_on_commit_callbacks
):
    invitation, token = _invite(supplier_a.actor, capture=django_capture_on_commit_callbacks)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    invitee = UserFactory(email="new.person@example.test")
    with pytest.raises(InvitationInvalid):
        invitation_accept(user=invitee, token=token)
    assert not Membership.objects.filter(user=invitee).exists()
    assert Invitation.objects.get(pk=invitation.pk).accepted_at is None


def test_rejects_revoked_invitation_and_adds_no_membership(
    supplier_a, django_capture_on_commit_callbacks
):
    invitation, token = _invite(supplier_a.actor, capture=django_capture_on_commit_callbacks)
    invitation_revoke(actor=supplier_a.actor, invitation_id=invitation.pk)
    invitee = UserFactory(email="new.person@example.test")
    with pytest.raises(InvitationInvalid):
        invitation_accept(user=invitee, token=token)
    assert not Membership.objects.filter(user=invitee).exists()
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert (invitation.accepted_at, invitation.accepted_by) == (None, None)


def test_rejects_invitation_accepted_by_another_email_and_leaves_it_open(
    supplier_a, buyer_x, django_capture_on_commit_callbacks
):
    invitation, token = _invite(supplier_a.actor, capture=django_capture_on_commit_callbacks)
    with pytest.raises(InvitationInvalid) as caught:
        invitation_accept(user=buyer_x.user, token=token)
    assert str(caught.value.message) == (
        "This invitation was sent to another email address; log in as that person."
    )
    assert not Membership.objects.filter(
        user=buyer_x.user, organization=supplier_a.organization
    ).exists()
    invitation.refresh_from_db()
    assert (invitation.accepted_at, invitation.accepted_by) == (None, None)
    # The right person can still use it afterwards.
    invitee = UserFactory(email="new.person@example.test")
    assert invitation_accept(user=invitee, token=token).role == Role.STAFF


def test_rejects_unknown_invitation_token(buyer_x):
    with pytest.raises(InvitationInvalid):
        invitation_accept(user=buyer_x.user, token="no-such-token")
    assert Membership.objects.filter(user=buyer_x.user).count() == 1


def test_staff_cannot_invite_and_nothing_is_sent(supplier_a, django_capture_on_commit_callbacks):
    _membership, staff = _member(supplier_a, Role.STAFF, "staff@example.test")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(PermissionDenied) as caught,
    ):
        invitation_create(
            actor=staff, email="friend@example.test", role=Role.STAFF, accept_url=ACCEPT_URL
        )
    assert caught.value.as_dict() == {
        "code": "forbidden",
        "message": "Only owners and admins can manage members.",
        "field": None,
    }
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


def test_admin_can_invite_staff_and_admins(supplier_a, django_capture_on_commit_callbacks):
    _membership, admin = _member(supplier_a, Role.ADMIN, "admin@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(
            actor=admin, email="s@example.test", role=Role.STAFF, accept_url=ACCEPT_URL
        )
        invitation_create(
            actor=admin, email="a@example.test", role=Role.ADMIN, accept_url=ACCEPT_URL
        )
    assert sorted(Invitation.objects.values_list("email", "role")) == [
        ("a@example.test", "admin"),
        ("s@example.test", "staff"),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.test", "s@example.test"]


def test_only_an_owner_may_invite_an_owner(supplier_a, django_capture_on_commit_callbacks):
    _membership, admin = _member(supplier_a, Role.ADMIN, "admin@example.test")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(PermissionDenied) as caught,
    ):
        invitation_create(
            actor=admin, email="boss@example.test", role=Role.OWNER, accept_url=ACCEPT_URL
        )
    assert (caught.value.field, str(caught.value.message)) == (
        "role",
        "Only an owner can invite another owner.",
    )
    assert Invitation.objects.count() == 0
    assert mail.outbox == []
    invitation, _token = _invite(
        supplier_a.actor,
        email="boss@example.test",
        role=Role.OWNER,
        capture=django_capture_on_commit_callbacks,
    )
    assert invitation.role == Role.OWNER


def test_rejects_inviting_an_existing_member(supplier_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict) as caught:
        invitation_create(
            actor=supplier_a.actor,
            email="Supplier_A@cast.test",
            role=Role.STAFF,
            accept_url=ACCEPT_URL,
        )
    assert (caught.value.field, str(caught.value.message)) == (
        "email",
        "This person is already a member.",
    )
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("email", "role", "field"),
    [("not-an-email", Role.STAFF, "email"), ("ok@example.test", "superuser", "role")],
)
def test_rejects_invalid_invitation(supplier_a, email, role, field):
    with pytest.raises(ValidationFailed) as caught:
        invitation_create(actor=supplier_a.actor, email=email, role=role, accept_url=ACCEPT_URL)
    assert caught.value.field == field
    assert Invitation.objects.count() == 0


def test_revoking_another_organizations_invitation_is_not_found(
    supplier_a, supplier_b, django_capture_on_commit_callbacks
):
    invitation, _token = _invite(supplier_a.actor, capture=django_capture_on_commit_callbacks)
    with pytest.raises(NotFound):
        invitation_revoke(actor=supplier_b.actor, invitation_id=invitation.pk)
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is None


def test_staff_cannot_revoke_invitations(supplier_a, django_capture_on_commit_callbacks):
    invitation, _token = _invite(supplier_a.actor, capture=django_capture_on_commit_callbacks)
    _membership, staff = _member(supplier_a, Role.STAFF, "staff@example.test")
    with pytest.raises(PermissionDenied):
        invitation_revoke(actor=staff, invitation_id=invitation.pk)
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is None


# --- members -----------------------------------------------------------------------------------


def test_owner_changes_a_members_role(supplier_a):
    membership, _staff = _member(supplier_a, Role.STAFF, "staff@example.test")
    changed = membership_change_role(
        actor=supplier_a.actor, membership_id=membership.pk, role="admin"
    )
    assert changed.role == Role.ADMIN
    assert Membership.objects.get(pk=membership.pk).role == Role.ADMIN


def test_rejects_demoting_the_last_owner(supplier_a):
    own = Membership.objects.get(user=supplier_a.user, organization=supplier_a.organization)
    with pytest.raises(Conflict) as caught:
        membership_change_role(actor=supplier_a.actor, membership_id=own.pk, role=Role.ADMIN)
    assert str(caught.value.message) == (
        "An organization needs at least one owner; make someone else owner first."
    )
    assert Membership.objects.get(pk=own.pk).role == Role.OWNER


def test_an_owner_may_step_down_when_another_owner_remains(supplier_a):
    _other, _actor = _member(supplier_a, Role.OWNER, "co-owner@example.test")
    own = Membership.objects.get(user=supplier_a.user, organization=supplier_a.organization)
    membership_change_role(actor=supplier_a.actor, membership_id=own.pk, role=Role.STAFF)
    assert Membership.objects.get(pk=own.pk).role == Role.STAFF


@pytest.mark.parametrize(
    ("target_role", "new_role"), [(Role.OWNER, Role.STAFF), (Role.STAFF, Role.OWNER)]
)
def test_admin_cannot_grant_or_take_away_ownership(supplier_a, target_role, new_role):
    _admin_membership, admin = _member(supplier_a, Role.ADMIN, "admin@example.test")
    target, _actor = _member(supplier_a, target_role, "target@example.test")
    with pytest.raises(PermissionDenied) as caught:
        membership_change_role(actor=admin, membership_id=target.pk, role=new_role)
    assert str(caught.value.message) == "Only an owner can grant or take away ownership."
    assert Membership.objects.get(pk=target.pk).role == target_role


def test_staff_cannot_change_roles(supplier_a):
    own, staff = _member(supplier_a, Role.STAFF, "staff@example.test")
    with pytest.raises(PermissionDenied):
        membership_change_role(actor=staff, membership_id=own.pk, role=Role.ADMIN)
    assert Membership.objects.get(pk=own.pk).role == Role.STAFF


def test_rejects_unknown_role(supplier_a):
    membership, _staff = _member(supplier_a, Role.STAFF, "staff@example.test")
    with pytest.raises(ValidationFailed) as caught:
        membership_change_role(actor=supplier_a.actor, membership_id=membership.pk, role="king")
    assert caught.value.field == "role"
    assert Membership.objects.get(pk=membership.pk).role == Role.STAFF


def test_another_organizations_membership_is_not_found_and_unchanged(supplier_a, supplier_b):
    theirs = Membership.objects.get(user=supplier_b.user)
    with pytest.raises(NotFound):
        membership_change_role(actor=supplier_a.actor, membership_id=theirs.pk, role=Role.STAFF)
    with pytest.raises(NotFound):
        membership_remove(actor=supplier_a.actor, membership_id=theirs.pk)
    theirs.refresh_from_db()
    assert (theirs.organization, theirs.role) == (supplier_b.organization, Role.OWNER)


def test_owner_removes_a_member(supplier_a):
    membership, _staff = _member(supplier_a, Role.STAFF, "staff@example.test")
    membership_remove(actor=supplier_a.actor, membership_id=membership.pk)
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert list(
        organization_member_list(actor=supplier_a.actor).values_list("user__email", flat=True)
    ) == ["supplier_a@cast.test"]


def test_staff_may_leave_but_not_remove_others(supplier_a):
    own, staff = _member(supplier_a, Role.STAFF, "staff@example.test")
    colleague, _actor = _member(supplier_a, Role.STAFF, "colleague@example.test")
    with pytest.raises(PermissionDenied):
        membership_remove(actor=staff, membership_id=colleague.pk)
    assert Membership.objects.filter(pk=colleague.pk).exists()
    membership_remove(actor=staff, membership_id=own.pk)
    assert not Membership.objects.filter(pk=own.pk).exists()


def test_admin_cannot_remove_an_owner(supplier_a):
    _membership, admin = _member(supplier_a, Role.ADMIN, "admin@example.test")
    owner = Membership.objects.get(user=supplier_a.user)
    with pytest.raises(PermissionDenied) as caught:
        membership_remove(actor=admin, membership_id=owner.pk)
    assert str(caught.value.message) == "Only an owner can remove an owner."
    assert Membership.objects.get(pk=owner.pk).role == Role.OWNER


def test_rejects_removing_the_last_owner(supplier_a):
    _membership, _staff = _member(supplier_a, Role.STAFF, "staff@example.test")
    own = Membership.objects.get(user=supplier_a.user)
    with pytest.raises(Conflict):
        membership_remove(actor=supplier_a.actor, membership_id=own.pk)
    assert Membership.objects.get(pk=own.pk).role == Role.OWNER
    assert Membership.objects.filter(organization=supplier_a.organization).count() == 2


# --- API tokens --------------------------------------------------------------------------------


def test_api_token_create_returns_the_secret_and_stores_only_its_hash(buyer_x):
    token, raw = api_token_create(actor=buyer_x.actor, name=" ERP sync ")
    assert raw.startswith("hy_")
    assert len(raw) == 3 + 43
    token.refresh_from_db()
    assert (token.name, token.prefix, token.user, token.organization) == (
        "ERP sync",
        raw[:10],
        buyer_x.user,
        buyer_x.organization,
    )
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = [str(v) for v in ApiToken.objects.filter(pk=token.pk).values().get().values()]
    assert raw not in stored
    assert token.last_used_at is None


def test_api_token_authenticates_in_its_organization_and_records_use(buyer_x):
    token, raw = api_token_create(actor=buyer_x.actor, name="ERP")
    user, membership = api_token_authenticate(raw=raw)
    assert (user, membership.organization) == (buyer_x.user, buyer_x.organization)
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


def test_revoked_token_no_longer_authenticates(buyer_x):
    token, raw = api_token_create(actor=buyer_x.actor, name="ERP")
    api_token_revoke(user=buyer_x.user, token_id=token.pk)
    assert api_token_authenticate(raw=raw) is None
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert list(api_token_list(user=buyer_x.user).values_list("name", flat=True)) == ["tests"]


def test_token_stops_working_when_its_membership_ends(supplier_a):
    membership, staff = _member(supplier_a, Role.STAFF, "staff@example.test")
    _token, raw = api_token_create(actor=staff, name="ERP")
    membership_remove(actor=supplier_a.actor, membership_id=membership.pk)
    assert api_token_authenticate(raw=raw) is None


def test_token_stops_working_for_an_inactive_user(buyer_x):
    _token, raw = api_token_create(actor=buyer_x.actor, name="ERP")
    User.objects.filter(pk=buyer_x.user.pk).update(is_active=False)
    assert api_token_authenticate(raw=raw) is None


def test_revoking_another_users_token_is_not_found_and_unchanged(buyer_x, buyer_y):
    token, raw = api_token_create(actor=buyer_x.actor, name="ERP")
    with pytest.raises(NotFound):
        api_token_revoke(user=buyer_y.user, token_id=token.pk)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert api_token_authenticate(raw=raw)[0] == buyer_x.user


@pytest.mark.parametrize("name", ["   ", "x" * 81])
def test_rejects_token_without_a_proper_name(buyer_x, name):
    with pytest.raises(ValidationFailed) as caught:
        api_token_create(actor=buyer_x.actor, name=name)
    assert (caught.value.field, str(caught.value.message)) == (
        "name",
        "Give the token a name of 1 to 80 characters.",
    )
    assert ApiToken.objects.filter(user=buyer_x.user).count() == 1


def test_rejects_a_twenty_first_active_token(buyer_x):
    for n in range(19):  # the cast already holds one token
        api_token_create(actor=buyer_x.actor, name=f"t{n}")
    with pytest.raises(Conflict) as caught:
        api_token_create(actor=buyer_x.actor, name="one too many")
    assert str(caught.value.message) == "You have 20 active tokens; revoke one first."
    assert ApiToken.objects.filter(user=buyer_x.user).count() == 20


def test_role_changes_and_removals_are_audited(buyer_x):
    from huoyuan.accounts.services import membership_change_role, membership_remove
    from huoyuan.accounts.tests.factories import MembershipFactory
    from huoyuan.core.models import AuditEvent

    staff = MembershipFactory(organization=buyer_x.organization, role="staff")
    membership_change_role(actor=buyer_x.actor, membership_id=staff.pk, role="admin")
    membership_remove(actor=buyer_x.actor, membership_id=staff.pk)
    events = list(
        AuditEvent.objects.filter(object_type="membership", object_id=str(staff.pk))
        .order_by("pk")
        .values("action", "actor_id", "before", "after")
    )
    assert events == [
        {
            "action": "membership.role_changed",
            "actor_id": buyer_x.user.pk,
            "before": {"role": "staff", "user_id": staff.user_id},
            "after": {"role": "admin", "user_id": staff.user_id},
        },
        {
            "action": "membership.removed",
            "actor_id": buyer_x.user.pk,
            "before": {"role": "admin", "user_id": staff.user_id},
            "after": None,
        },
    ]
