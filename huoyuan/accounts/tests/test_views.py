"""Accounts pages: signup, login and its rate limit, password reset, organizations, tokens."""

from __future__ import annotations

import hashlib
import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from huoyuan.accounts.contracts import Role
from huoyuan.accounts.middleware import SESSION_KEY
from huoyuan.accounts.models import ApiToken, Invitation, Membership, Organization, User
from huoyuan.accounts.selectors import actor_from_membership
from huoyuan.accounts.tests.factories import (
    PASSWORD,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)
from huoyuan.suppliers.models import SupplierProfile

pytestmark = pytest.mark.django_db

STRONG = "violet-harbour-lantern-42"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _signup_data(**overrides):
    return {
        "email": "li.wei@example.test",
        "display_name": "Li Wei",
        "password": STRONG,
        "organization_kind": "buyer",
        "organization_name": "Wei Shop",
        "buyer_type": "livestream",
        **overrides,
    }


def _counts():
    return (
        User.objects.count(),
        Organization.objects.count(),
        Membership.objects.count(),
        SupplierProfile.objects.count(),
    )


def _logged_in_user_id(client):
    value = client.session.get(AUTH_SESSION_KEY)
    return int(value) if value is not None else None


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def _member(person, role, email):
    membership = MembershipFactory(
        user=UserFactory(email=email), organization=person.organization, role=role
    )
    client = Client()
    client.force_login(membership.user)
    return membership, client


def _link_in(message):
    return re.search(r"https?://testserver(/\S+)", message.body).group(1)


# --- signup ------------------------------------------------------------------------------------


def test_signup_page_shows_the_form(anonymous):
    response = anonymous.client.get(reverse("accounts:signup"))
    assert response.status_code == 200
    assert list(response.context["form"].fields) == [
        "email",
        "display_name",
        "password",
        "organization_kind",
        "organization_name",
        "buyer_type",
    ]


def test_buyer_signup_creates_account_logs_in_and_goes_home(anonymous):
    response = anonymous.client.post(reverse("accounts:signup"), _signup_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    user = User.objects.get(email="li.wei@example.test")
    assert _logged_in_user_id(anonymous.client) == user.pk
    membership = Membership.objects.select_related("organization").get(user=user)
    assert (membership.role, membership.organization.kind, membership.organization.name) == (
        "owner",
        "buyer",
        "Wei Shop",
    )
    assert membership.organization.buyer_type == "livestream"
    assert SupplierProfile.objects.count() == 0


def test_supplier_signup_creates_profile_and_goes_to_the_workbench(anonymous):
    response = anonymous.client.post(
        reverse("accounts:signup"),
        _signup_data(
            organization_kind="supplier", organization_name="Yiwu Ceramics", buyer_type="shop"
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("suppliers:workbench_profile")
    org = Organization.objects.get(name="Yiwu Ceramics")
    assert (org.kind, org.buyer_type) == ("supplier", "")
    assert SupplierProfile.objects.filter(organization=org).count() == 1
    assert anonymous.client.get(response["Location"]).status_code == 200


def test_signup_refuses_duplicate_email_case_insensitively_next_to_the_field(anonymous, buyer_x):
    before = _counts()
    response = anonymous.client.post(
        reverse("accounts:signup"),
        _signup_data(email="Buyer_X@CAST.test", organization_name="Copy"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "email": ["An account with this email address already exists."]
    }
    assert "An account with this email address already exists." in response.content.decode()
    assert _counts() == before
    assert not Organization.objects.filter(name="Copy").exists()
    assert _logged_in_user_id(anonymous.client) is None


def test_signup_refuses_weak_password_with_the_message_next_to_the_password_field(anonymous):
    response = anonymous.client.post(reverse("accounts:signup"), _signup_data(password="12345678"))
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "password": ["This password is too common. This password is entirely numeric."]
    }
    html = response.content.decode()
    field_block = html[html.index('for="id_password"') : html.index('for="id_organization_name"')]
    assert "This password is too common. This password is entirely numeric." in field_block
    assert _counts() == (0, 0, 0, 0)
    assert _logged_in_user_id(anonymous.client) is None


def test_signup_page_sends_signed_in_people_home(buyer_x):
    response = buyer_x.client.post(reverse("accounts:signup"), _signup_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert not User.objects.filter(email="li.wei@example.test").exists()


# --- login, logout, rate limit -----------------------------------------------------------------


def test_logs_in_with_email_and_password(buyer_x):
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": "buyer_x@cast.test", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert _logged_in_user_id(client) == buyer_x.user.pk


def test_logs_in_with_the_email_as_typed_at_signup_in_any_case(anonymous):
    anonymous.client.post(reverse("accounts:signup"), _signup_data(email="Li.Wei@Example.TEST"))
    user = User.objects.get(email="li.wei@example.test")
    for typed in ("Li.Wei@Example.TEST", " LI.WEI@example.test "):
        client = Client()
        response = client.post(reverse("accounts:login"), {"username": typed, "password": STRONG})
        assert response.status_code == 302
        assert _logged_in_user_id(client) == user.pk


def test_refuses_login_with_wrong_password(buyer_x):
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": "buyer_x@cast.test", "password": "wrong-password"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Please enter a correct email address and password. Note that both fields may be "
        "case-sensitive."
    ]
    assert _logged_in_user_id(client) is None


def test_login_redirects_to_next(buyer_x):
    client = Client()
    response = client.post(
        reverse("accounts:login") + "?next=/accounts/tokens/",
        {"username": "buyer_x@cast.test", "password": PASSWORD, "next": "/accounts/tokens/"},
    )
    assert response["Location"] == "/accounts/tokens/"


def test_logout_by_post_ends_the_session(buyer_x):
    response = buyer_x.client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert _logged_in_user_id(buyer_x.client) is None


def test_logout_by_get_is_refused_and_keeps_the_session(buyer_x):
    response = buyer_x.client.get(reverse("accounts:logout"))
    assert response.status_code == 405
    assert _logged_in_user_id(buyer_x.client) == buyer_x.user.pk


def _fail_login(client, email, times):
    """Log in with a wrong password ``times`` times; return the status codes."""
    return [
        client.post(
            reverse("accounts:login"), {"username": email, "password": "wrong-password"}
        ).status_code
        for _ in range(times)
    ]


def test_sixth_login_after_five_failures_is_locked_out_even_with_the_right_password(buyer_x):
    client = Client()
    # The fifth failure already answers with the locked-out page.
    assert _fail_login(client, "buyer_x@cast.test", 5) == [200, 200, 200, 200, 429]
    before = User.objects.get(pk=buyer_x.user.pk)
    response = client.post(
        reverse("accounts:login"), {"username": "buyer_x@cast.test", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert "<h1>Too many failed logins</h1>" in html
    assert 'name="password"' not in html
    assert _logged_in_user_id(client) is None
    user = User.objects.get(pk=buyer_x.user.pk)
    assert (user.last_login, user.password, user.is_active) == (
        before.last_login,
        before.password,
        True,
    )
    # The refused sixth attempt is counted as one more failure; the lockout lasts.
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == (
        "buyer_x@cast.test",
        "127.0.0.1",
        6,
    )


def test_four_failures_do_not_lock_out(buyer_x):
    client = Client()
    assert _fail_login(client, "buyer_x@cast.test", 4) == [200, 200, 200, 200]
    response = client.post(
        reverse("accounts:login"), {"username": "buyer_x@cast.test", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert _logged_in_user_id(client) == buyer_x.user.pk


def test_lockout_is_per_email_and_address(buyer_x, buyer_y):
    assert _fail_login(Client(), "buyer_x@cast.test", 5)[-1] == 429
    other_account = Client()
    response = other_account.post(
        reverse("accounts:login"), {"username": "buyer_y@cast.test", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert _logged_in_user_id(other_account) == buyer_y.user.pk
    other_address = Client(REMOTE_ADDR="10.0.0.9")
    response = other_address.post(
        reverse("accounts:login"), {"username": "buyer_x@cast.test", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert _logged_in_user_id(other_address) == buyer_x.user.pk


def test_changing_the_case_of_the_email_does_not_escape_the_lockout(buyer_x):
    client = Client()
    assert _fail_login(client, "buyer_x@cast.test", 3) == [200, 200, 200]
    assert _fail_login(client, "Buyer_X@Cast.Test", 2) == [200, 429]
    response = client.post(
        reverse("accounts:login"), {"username": "BUYER_X@cast.test", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert _logged_in_user_id(client) is None


# --- password reset ----------------------------------------------------------------------------


def test_password_reset_email_link_sets_a_new_password_that_logs_in(buyer_x):
    client = Client()
    response = client.post(reverse("accounts:password_reset"), {"email": "buyer_x@cast.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["buyer_x@cast.test"]
    assert message.subject == "Reset your huoyuan password"
    link = _link_in(message)
    assert link.startswith("/accounts/password-reset/")

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    set_password_url = form_page.redirect_chain[-1][0]
    response = client.post(set_password_url, {"new_password1": STRONG, "new_password2": STRONG})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")

    fresh = Client()
    response = fresh.post(
        reverse("accounts:login"), {"username": "buyer_x@cast.test", "password": STRONG}
    )
    assert response.status_code == 302
    assert _logged_in_user_id(fresh) == buyer_x.user.pk
    old = Client()
    old.post(reverse("accounts:login"), {"username": "buyer_x@cast.test", "password": PASSWORD})
    assert _logged_in_user_id(old) is None


def test_password_reset_link_works_only_once(buyer_x):
    client = Client()
    client.post(reverse("accounts:password_reset"), {"email": "buyer_x@cast.test"})
    link = _link_in(mail.outbox[0])
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_password_url, {"new_password1": STRONG, "new_password2": STRONG})
    again = Client().get(link, follow=True)
    assert again.context["validlink"] is False
    assert User.objects.get(pk=buyer_x.user.pk).check_password(STRONG)


def test_password_reset_refuses_weak_new_password_and_keeps_the_old_one(buyer_x):
    client = Client()
    client.post(reverse("accounts:password_reset"), {"email": "buyer_x@cast.test"})
    set_password_url = client.get(_link_in(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    response = client.post(
        set_password_url, {"new_password1": "12345678", "new_password2": "12345678"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "new_password2": ["This password is too common.", "This password is entirely numeric."]
    }
    assert User.objects.get(pk=buyer_x.user.pk).check_password(PASSWORD)


def test_password_reset_for_an_unknown_email_sends_nothing_but_looks_the_same(buyer_x):
    response = Client().post(reverse("accounts:password_reset"), {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


# --- profile -----------------------------------------------------------------------------------


def test_profile_page_saves_the_profile(buyer_x):
    response = buyer_x.client.post(
        reverse("accounts:profile"),
        {"display_name": " Xiao Ming ", "phone": "+86 138", "preferred_language": "de"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    user = User.objects.get(pk=buyer_x.user.pk)
    assert (user.display_name, user.phone, user.preferred_language) == (
        "Xiao Ming",
        "+86 138",
        "de",
    )
    page = buyer_x.client.get(reverse("accounts:profile"))
    assert page.context["form"].initial == {
        "display_name": "Xiao Ming",
        "phone": "+86 138",
        "preferred_language": "de",
    }


def test_profile_page_refuses_unknown_language_and_changes_nothing(buyer_x):
    response = buyer_x.client.post(
        reverse("accounts:profile"),
        {"display_name": "Changed", "phone": "1", "preferred_language": "fr"},
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["preferred_language"]
    user = User.objects.get(pk=buyer_x.user.pk)
    assert (user.display_name, user.phone, user.preferred_language) == ("buyer_x", "", "")


def test_profile_page_needs_login(anonymous):
    response = anonymous.client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/profile/"


# --- organizations -----------------------------------------------------------------------------


def test_creating_an_organization_makes_it_active(buyer_x):
    response = buyer_x.client.post(
        reverse("accounts:organizations"), {"kind": "supplier", "name": "New Works"}
    )
    assert response.status_code == 302
    org = Organization.objects.get(name="New Works")
    assert buyer_x.client.session[SESSION_KEY] == org.pk
    assert Membership.objects.get(user=buyer_x.user, organization=org).role == Role.OWNER
    assert SupplierProfile.objects.filter(organization=org).exists()
    page = buyer_x.client.get(reverse("accounts:organizations"))
    assert page.context["actor"].organization_id == org.pk
    assert sorted(m.organization.name for m in page.context["memberships"]) == [
        "New Works",
        "buyer_x Co.",
    ]


def test_switching_to_an_own_organization_makes_it_active(buyer_x):
    second = OrganizationFactory(name="Second Shop")
    MembershipFactory(user=buyer_x.user, organization=second, role=Role.STAFF)
    response = buyer_x.client.post(
        reverse("accounts:organization_switch"), {"organization": second.pk}
    )
    assert response.status_code == 302
    assert buyer_x.client.session[SESSION_KEY] == second.pk
    assert _messages(buyer_x.client.get(reverse("accounts:organizations"))) == [
        "You are now acting for Second Shop."
    ]


def test_switching_to_someone_elses_organization_is_404_and_changes_nothing(buyer_x, supplier_a):
    response = buyer_x.client.post(
        reverse("accounts:organization_switch"), {"organization": supplier_a.organization.pk}
    )
    assert response.status_code == 404
    assert SESSION_KEY not in buyer_x.client.session
    page = buyer_x.client.get(reverse("accounts:organizations"))
    assert page.context["actor"].organization_id == buyer_x.organization.pk
    assert not Membership.objects.filter(
        user=buyer_x.user, organization=supplier_a.organization
    ).exists()


def test_switching_with_garbage_is_404(buyer_x):
    response = buyer_x.client.post(reverse("accounts:organization_switch"), {"organization": "abc"})
    assert response.status_code == 404
    assert SESSION_KEY not in buyer_x.client.session


def test_switching_needs_post(buyer_x):
    response = buyer_x.client.get(reverse("accounts:organization_switch"))
    assert response.status_code == 405


# --- members and invitations ------------------------------------------------------------------


def test_members_page_lists_members_and_pending_invitations(
    supplier_a, django_capture_on_commit_callbacks
):
    _member(supplier_a, Role.STAFF, "staff@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        supplier_a.client.post(
            reverse("accounts:members"), {"email": "new@example.test", "role": "admin"}
        )
    response = supplier_a.client.get(reverse("accounts:members"))
    assert response.status_code == 200
    assert [m.user.email for m in response.context["members"]] == [
        "staff@example.test",
        "supplier_a@cast.test",
    ]
    assert [(i.email, i.role) for i in response.context["invitations"]] == [
        ("new@example.test", "admin")
    ]


def test_invitation_from_the_page_is_emailed_and_accepted_through_its_link(
    supplier_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = supplier_a.client.post(
            reverse("accounts:members"), {"email": "new@example.test", "role": "admin"}
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.test"]
    link = _link_in(mail.outbox[0])
    assert link.startswith("/accounts/invitations/accept/")

    invitee = UserFactory(email="new@example.test")
    client = Client()
    client.force_login(invitee)
    page = client.get(link)
    assert page.status_code == 200
    assert page.context["invitation"].organization == supplier_a.organization
    response = client.post(link)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:organizations")
    membership = Membership.objects.get(user=invitee)
    assert (membership.organization, membership.role) == (supplier_a.organization, "admin")
    assert client.session[SESSION_KEY] == supplier_a.organization.pk


def test_accepting_an_invitation_twice_on_the_page_is_refused(
    supplier_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        supplier_a.client.post(
            reverse("accounts:members"), {"email": "new@example.test", "role": "staff"}
        )
    link = _link_in(mail.outbox[0])
    invitee = UserFactory(email="new@example.test")
    client = Client()
    client.force_login(invitee)
    client.post(link)
    response = client.post(link)
    assert response.status_code == 400
    assert response.context["error"] == "This invitation link is invalid, expired or already used."
    assert Membership.objects.filter(user=invitee).count() == 1


def test_invitation_accepted_as_another_email_on_the_page_is_refused(
    supplier_a, buyer_x, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        supplier_a.client.post(
            reverse("accounts:members"), {"email": "new@example.test", "role": "staff"}
        )
    response = buyer_x.client.post(_link_in(mail.outbox[0]))
    assert response.status_code == 400
    assert response.context["error"] == (
        "This invitation was sent to another email address; log in as that person."
    )
    assert not Membership.objects.filter(
        user=buyer_x.user, organization=supplier_a.organization
    ).exists()
    assert Invitation.objects.get().accepted_at is None


def test_invitation_link_asks_anonymous_visitors_to_log_in(anonymous):
    response = anonymous.client.get("/accounts/invitations/accept/abc/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/invitations/accept/abc/"


def test_unknown_invitation_link_is_404(buyer_x):
    response = buyer_x.client.get("/accounts/invitations/accept/no-such-token/")
    assert response.status_code == 404
    assert response.context["error"] == "This invitation link is invalid, expired or already used."


def test_staff_cannot_invite_from_the_page(supplier_a, django_capture_on_commit_callbacks):
    _membership, staff_client = _member(supplier_a, Role.STAFF, "staff@example.test")
    page = staff_client.get(reverse("accounts:members"))
    assert 'name="email"' not in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("accounts:members"), {"email": "friend@example.test", "role": "staff"}
        )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Only owners and admins can manage members."
    ]
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


def test_admin_cannot_invite_an_owner_from_the_page(supplier_a, django_capture_on_commit_callbacks):
    _membership, admin_client = _member(supplier_a, Role.ADMIN, "admin@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("accounts:members"), {"email": "boss@example.test", "role": "owner"}
        )
    assert response.status_code == 200
    assert response.context["form"].errors == {"role": ["Only an owner can invite another owner."]}
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


def test_member_role_change_from_the_page(supplier_a):
    membership, _client = _member(supplier_a, Role.STAFF, "staff@example.test")
    response = supplier_a.client.post(
        reverse("accounts:member_action", args=[membership.pk]), {"action": "role", "role": "admin"}
    )
    assert response.status_code == 302
    assert Membership.objects.get(pk=membership.pk).role == Role.ADMIN


def test_member_removal_from_the_page(supplier_a):
    membership, _client = _member(supplier_a, Role.STAFF, "staff@example.test")
    response = supplier_a.client.post(
        reverse("accounts:member_action", args=[membership.pk]), {"action": "remove"}
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_page_refuses_removing_or_demoting_the_last_owner(supplier_a):
    own = Membership.objects.get(user=supplier_a.user)
    url = reverse("accounts:member_action", args=[own.pk])
    for data in ({"action": "remove"}, {"action": "role", "role": "staff"}):
        response = supplier_a.client.post(url, data, follow=True)
        assert response.status_code == 200
        assert _messages(response) == [
            "An organization needs at least one owner; make someone else owner first."
        ]
    assert Membership.objects.get(pk=own.pk).role == Role.OWNER


def test_page_action_on_another_organizations_membership_is_404_and_unchanged(
    supplier_a, supplier_b
):
    theirs = Membership.objects.get(user=supplier_b.user)
    url = reverse("accounts:member_action", args=[theirs.pk])
    assert supplier_a.client.post(url, {"action": "remove"}).status_code == 404
    assert supplier_a.client.post(url, {"action": "role", "role": "staff"}).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.organization, theirs.role) == (supplier_b.organization, Role.OWNER)


def test_invitation_revoke_from_the_page(
    supplier_a, supplier_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        supplier_a.client.post(
            reverse("accounts:members"), {"email": "new@example.test", "role": "staff"}
        )
    invitation = Invitation.objects.get()
    url = reverse("accounts:invitation_revoke", args=[invitation.pk])
    assert supplier_b.client.post(url).status_code == 404
    assert Invitation.objects.get().revoked_at is None
    assert supplier_a.client.post(url).status_code == 302
    assert Invitation.objects.get().revoked_at is not None


# --- API tokens --------------------------------------------------------------------------------


def test_tokens_page_shows_a_new_secret_once_and_lists_tokens(buyer_x):
    response = buyer_x.client.post(reverse("accounts:tokens"), {"name": "ERP sync"})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("hy_")
    assert secret in response.content.decode()
    token = ApiToken.objects.get(name="ERP sync")
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.organization == buyer_x.organization
    page = buyer_x.client.get(reverse("accounts:tokens"))
    assert page.context["secret"] is None
    assert secret not in page.content.decode()
    assert token.prefix in page.content.decode()
    assert sorted(t.name for t in page.context["tokens"]) == ["ERP sync", "tests"]


def test_tokens_page_refuses_a_blank_name(buyer_x):
    response = buyer_x.client.post(reverse("accounts:tokens"), {"name": ""})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["name"]
    assert response.context["secret"] is None
    assert ApiToken.objects.filter(user=buyer_x.user).count() == 1


def test_tokens_page_revokes_a_token_and_the_api_refuses_it(buyer_x):
    token = ApiToken.objects.get(user=buyer_x.user)
    response = buyer_x.client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert buyer_x.api("GET", "/api/me").status_code == 401


def test_revoking_another_users_token_on_the_page_is_404_and_unchanged(buyer_x, buyer_y):
    token = ApiToken.objects.get(user=buyer_y.user)
    response = buyer_x.client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert buyer_y.api("GET", "/api/me").status_code == 200


def test_tokens_page_needs_login(anonymous):
    response = anonymous.client.get(reverse("accounts:tokens"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/tokens/"


def test_token_made_on_the_page_acts_in_the_active_organization(supplier_a, buyer_x):
    MembershipFactory(user=buyer_x.user, organization=supplier_a.organization, role=Role.STAFF)
    buyer_x.client.post(
        reverse("accounts:organization_switch"), {"organization": supplier_a.organization.pk}
    )
    secret = buyer_x.client.post(reverse("accounts:tokens"), {"name": "Supplier ERP"}).context[
        "secret"
    ]
    response = Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.json()["active_organization"]["slug"] == "supplier-a"
    membership = Membership.objects.get(user=buyer_x.user, organization=supplier_a.organization)
    assert actor_from_membership(membership).organization_id == supplier_a.organization.pk
