"""Accounts JSON API: /api/me, API tokens, members and invitations."""

from __future__ import annotations

import hashlib

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from huoyuan.accounts.contracts import Role
from huoyuan.accounts.models import ApiToken, Invitation, Membership
from huoyuan.accounts.selectors import actor_from_membership
from huoyuan.accounts.services import api_token_create
from huoyuan.accounts.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

UNAUTHENTICATED = {
    "code": "unauthenticated",
    "message": "Log in, or send an API token as 'Authorization: Bearer <token>'.",
    "field": None,
}
NOT_FOUND = {"code": "not_found", "message": "Not found.", "field": None}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _org(person):
    org = person.organization
    return {"id": org.pk, "kind": org.kind, "name": org.name, "slug": org.slug}


def _bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _member(person, role, email):
    """Someone else in ``person``'s organization, with a token for it."""
    membership = MembershipFactory(
        user=UserFactory(email=email, display_name=email.split("@")[0]),
        organization=person.organization,
        role=role,
    )
    _token, raw = api_token_create(actor=actor_from_membership(membership), name="tests")
    return membership, raw


# --- /api/me -----------------------------------------------------------------------------------


def test_me_describes_the_token_holder_and_active_organization(supplier_a):
    response = supplier_a.api("GET", "/api/me")
    assert response.status_code == 200
    own = Membership.objects.get(user=supplier_a.user)
    assert response.json() == {
        "id": supplier_a.user.pk,
        "email": "supplier_a@cast.test",
        "display_name": "supplier_a",
        "active_organization": _org(supplier_a),
        "memberships": [{"id": own.pk, "role": "owner", "organization": _org(supplier_a)}],
    }


def test_me_works_with_the_browser_session(buyer_x):
    response = buyer_x.client.get("/api/me")
    assert response.status_code == 200
    assert response.json()["active_organization"] == _org(buyer_x)


def test_me_without_credentials_is_401(anonymous):
    response = anonymous.api("GET", "/api/me")
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


def test_me_with_an_unknown_token_is_401(anonymous):
    response = anonymous.api("GET", "/api/me", authorization="Bearer hy_not-a-real-token")
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


# --- API tokens --------------------------------------------------------------------------------


def test_token_create_returns_the_secret_once_and_stores_only_its_hash(buyer_x):
    response = buyer_x.api("POST", "/api/tokens", {"name": "ERP sync"})
    assert response.status_code == 201
    body = response.json()
    token = ApiToken.objects.get(name="ERP sync")
    raw = body["token"]
    assert body == {
        "id": token.pk,
        "name": "ERP sync",
        "prefix": raw[:10],
        "created_at": body["created_at"],
        "last_used_at": None,
        "token": raw,
    }
    assert raw.startswith("hy_")
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in [str(v) for v in ApiToken.objects.filter(pk=token.pk).values().get().values()]
    assert (token.user, token.organization) == (buyer_x.user, buyer_x.organization)
    # The list never shows a secret again.
    listed = buyer_x.api("GET", "/api/tokens").json()
    assert listed["count"] == 2
    assert sorted(item["name"] for item in listed["items"]) == ["ERP sync", "tests"]
    assert all("token" not in item for item in listed["items"])
    assert raw not in buyer_x.api("GET", "/api/tokens").content.decode()
    # And the new secret works.
    assert Client().get("/api/me", **_bearer(raw)).json()["email"] == "buyer_x@cast.test"


def test_token_list_shows_only_own_active_tokens(buyer_x, buyer_y):
    revoked, _raw = api_token_create(actor=buyer_x.actor, name="old")
    buyer_x.api("DELETE", f"/api/tokens/{revoked.pk}")
    body = buyer_x.api("GET", "/api/tokens").json()
    assert [item["name"] for item in body["items"]] == ["tests"]
    assert body["count"] == 1


def test_revoked_token_gets_401_on_me(buyer_x):
    token, raw = api_token_create(actor=buyer_x.actor, name="ERP")
    response = buyer_x.api("DELETE", f"/api/tokens/{token.pk}")
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    response = Client().get("/api/me", **_bearer(raw))
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED


def test_a_token_can_revoke_itself(buyer_x):
    token = ApiToken.objects.get(user=buyer_x.user)
    assert buyer_x.api("DELETE", f"/api/tokens/{token.pk}").status_code == 200
    assert buyer_x.api("GET", "/api/me").status_code == 401


def test_revoking_another_users_token_is_404_and_unchanged(buyer_x, buyer_y):
    theirs = ApiToken.objects.get(user=buyer_y.user)
    response = buyer_x.api("DELETE", f"/api/tokens/{theirs.pk}")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None
    assert buyer_y.api("GET", "/api/me").status_code == 200


def test_token_create_refuses_unknown_fields_and_creates_nothing(buyer_x, buyer_y):
    response = buyer_x.api(
        "POST", "/api/tokens", {"name": "ERP", "organization_id": buyer_y.organization.pk}
    )
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["field"], body["message"]) == (
        "invalid",
        "organization_id",
        "Extra inputs are not permitted",
    )
    assert ApiToken.objects.filter(user=buyer_x.user).count() == 1


@pytest.mark.parametrize("name", ["   ", "x" * 81])
def test_token_create_refuses_a_bad_name(buyer_x, name):
    response = buyer_x.api("POST", "/api/tokens", {"name": name})
    assert response.status_code == 422
    assert response.json()["field"] == "name"
    assert ApiToken.objects.filter(user=buyer_x.user).count() == 1


def test_token_create_needs_authentication(anonymous):
    response = anonymous.api("POST", "/api/tokens", {"name": "ERP"})
    assert response.status_code == 401
    assert ApiToken.objects.count() == 0


def test_a_token_acts_in_the_organization_it_was_created_for(supplier_a, buyer_x):
    MembershipFactory(user=buyer_x.user, organization=supplier_a.organization, role=Role.STAFF)
    buyer_x.client.post(
        reverse("accounts:organization_switch"), {"organization": supplier_a.organization.pk}
    )
    created = buyer_x.client.post(
        "/api/tokens", {"name": "Supplier ERP"}, content_type="application/json"
    )
    assert created.status_code == 201
    supplier_token = created.json()["token"]
    assert ApiToken.objects.get(name="Supplier ERP").organization == supplier_a.organization

    as_supplier = Client().get("/api/me", **_bearer(supplier_token)).json()
    assert as_supplier["active_organization"] == _org(supplier_a)
    assert sorted(m["organization"]["slug"] for m in as_supplier["memberships"]) == [
        "buyer-x",
        "supplier-a",
    ]
    assert buyer_x.api("GET", "/api/me").json()["active_organization"] == _org(buyer_x)
    # Supplier-only endpoints follow the token's organization, not the session's.
    assert Client().get("/api/supplier/profile", **_bearer(supplier_token)).json()["slug"] == (
        "supplier-a"
    )
    refused = buyer_x.api("GET", "/api/supplier/profile")
    assert refused.status_code == 403
    assert refused.json()["code"] == "wrong_organization_kind"


# --- members -----------------------------------------------------------------------------------


def test_member_list_shows_the_organizations_members(supplier_a, supplier_b):
    staff, _raw = _member(supplier_a, Role.STAFF, "staff@example.test")
    own = Membership.objects.get(user=supplier_a.user)
    response = supplier_a.api("GET", "/api/organization/members")
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": staff.pk,
                "role": "staff",
                "email": "staff@example.test",
                "display_name": "staff",
            },
            {
                "id": own.pk,
                "role": "owner",
                "email": "supplier_a@cast.test",
                "display_name": "supplier_a",
            },
        ],
        "count": 2,
    }


def test_owner_changes_a_role_through_the_api(supplier_a):
    staff, _raw = _member(supplier_a, Role.STAFF, "staff@example.test")
    response = supplier_a.api(
        "POST", f"/api/organization/members/{staff.pk}/role", {"role": "admin"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "id": staff.pk,
        "role": "admin",
        "organization": _org(supplier_a),
    }
    assert Membership.objects.get(pk=staff.pk).role == Role.ADMIN


def test_api_refuses_demoting_or_removing_the_last_owner(supplier_a):
    own = Membership.objects.get(user=supplier_a.user)
    demote = supplier_a.api("POST", f"/api/organization/members/{own.pk}/role", {"role": "staff"})
    remove = supplier_a.api("DELETE", f"/api/organization/members/{own.pk}")
    expected = {
        "code": "conflict",
        "message": "An organization needs at least one owner; make someone else owner first.",
        "field": None,
    }
    assert (demote.status_code, demote.json()) == (409, expected)
    assert (remove.status_code, remove.json()) == (409, expected)
    assert Membership.objects.get(pk=own.pk).role == Role.OWNER


def test_staff_cannot_change_roles_through_the_api(supplier_a):
    staff, raw = _member(supplier_a, Role.STAFF, "staff@example.test")
    response = Client().post(
        f"/api/organization/members/{staff.pk}/role",
        {"role": "owner"},
        content_type="application/json",
        **_bearer(raw),
    )
    assert response.status_code == 403
    assert response.json() == {
        "code": "forbidden",
        "message": "Only owners and admins can manage members.",
        "field": None,
    }
    assert Membership.objects.get(pk=staff.pk).role == Role.STAFF


def test_another_organizations_membership_is_404_through_the_api_and_unchanged(
    supplier_a, supplier_b
):
    theirs = Membership.objects.get(user=supplier_b.user)
    role = supplier_a.api("POST", f"/api/organization/members/{theirs.pk}/role", {"role": "staff"})
    remove = supplier_a.api("DELETE", f"/api/organization/members/{theirs.pk}")
    assert (role.status_code, role.json()) == (404, NOT_FOUND)
    assert (remove.status_code, remove.json()) == (404, NOT_FOUND)
    theirs.refresh_from_db()
    assert (theirs.organization, theirs.role) == (supplier_b.organization, Role.OWNER)


def test_owner_removes_a_member_through_the_api(supplier_a):
    staff, raw = _member(supplier_a, Role.STAFF, "staff@example.test")
    response = supplier_a.api("DELETE", f"/api/organization/members/{staff.pk}")
    assert (response.status_code, response.json()) == (200, {"ok": True})
    assert not Membership.objects.filter(pk=staff.pk).exists()
    # Their token belonged to that membership and stops working.
    assert Client().get("/api/me", **_bearer(raw)).status_code == 401


def test_role_change_refuses_unknown_fields(supplier_a):
    staff, _raw = _member(supplier_a, Role.STAFF, "staff@example.test")
    response = supplier_a.api(
        "POST", f"/api/organization/members/{staff.pk}/role", {"role": "admin", "user_id": 1}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "user_id"
    assert Membership.objects.get(pk=staff.pk).role == Role.STAFF


# --- invitations -------------------------------------------------------------------------------


def test_invitation_create_through_the_api_sends_an_email_with_a_link(
    supplier_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = supplier_a.api(
            "POST", "/api/organization/invitations", {"email": "New@Example.test", "role": "admin"}
        )
    assert response.status_code == 201
    invitation = Invitation.objects.get()
    body = response.json()
    assert body == {
        "id": invitation.pk,
        "email": "new@example.test",
        "role": "admin",
        "created_at": body["created_at"],
        "expires_at": body["expires_at"],
    }
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new@example.test"]
    prefix = "Open this link to accept (valid for 7 days): http://testserver/accounts/invitations/accept/"
    assert message.body.startswith(prefix)
    token = message.body.removeprefix(prefix).rstrip("/")
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    listed = supplier_a.api("GET", "/api/organization/invitations").json()
    assert [(i["id"], i["email"]) for i in listed["items"]] == [(invitation.pk, "new@example.test")]


def test_staff_cannot_invite_through_the_api(supplier_a, django_capture_on_commit_callbacks):
    _staff, raw = _member(supplier_a, Role.STAFF, "staff@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/api/organization/invitations",
            {"email": "friend@example.test", "role": "staff"},
            content_type="application/json",
            **_bearer(raw),
        )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


def test_admin_cannot_invite_an_owner_through_the_api(
    supplier_a, django_capture_on_commit_callbacks
):
    _admin, raw = _member(supplier_a, Role.ADMIN, "admin@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/api/organization/invitations",
            {"email": "boss@example.test", "role": "owner"},
            content_type="application/json",
            **_bearer(raw),
        )
    assert response.status_code == 403
    assert response.json() == {
        "code": "forbidden",
        "message": "Only an owner can invite another owner.",
        "field": "role",
    }
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


def test_invitation_create_refuses_unknown_fields(supplier_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = supplier_a.api(
            "POST",
            "/api/organization/invitations",
            {"email": "x@example.test", "role": "staff", "organization_id": 1},
        )
    assert response.status_code == 422
    assert response.json()["field"] == "organization_id"
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


def test_invitation_revoke_through_the_api(
    supplier_a, supplier_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        supplier_a.api("POST", "/api/organization/invitations", {"email": "x@example.test"})
    invitation = Invitation.objects.get()
    refused = supplier_b.api("DELETE", f"/api/organization/invitations/{invitation.pk}")
    assert (refused.status_code, refused.json()) == (404, NOT_FOUND)
    assert Invitation.objects.get().revoked_at is None
    response = supplier_a.api("DELETE", f"/api/organization/invitations/{invitation.pk}")
    assert (response.status_code, response.json()) == (200, {"ok": True})
    assert Invitation.objects.get().revoked_at is not None
    assert supplier_a.api("GET", "/api/organization/invitations").json() == {
        "items": [],
        "count": 0,
    }


def test_member_endpoints_need_an_organization(anonymous):
    user = UserFactory(email="loner@example.test")
    client = Client()
    client.force_login(user)
    response = client.get("/api/organization/members")
    assert response.status_code == 403
    assert response.json() == {
        "code": "no_organization",
        "message": "Join or create an organization first.",
        "field": None,
    }
    assert anonymous.api("GET", "/api/organization/members").status_code == 401


# --- browser sessions and CSRF -------------------------------------------------------------------


def test_session_writes_without_a_csrf_token_are_refused(buyer_x):
    client = Client(enforce_csrf_checks=True)
    client.force_login(buyer_x.user)
    response = client.post("/api/tokens", {"name": "Forged"}, content_type="application/json")
    assert response.status_code == 403
    assert not ApiToken.objects.filter(name="Forged").exists()


def test_bearer_token_writes_need_no_csrf_token(buyer_x):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/tokens",
        {"name": "From a program"},
        content_type="application/json",
        **_bearer(buyer_x.token),
    )
    assert response.status_code == 201
    assert ApiToken.objects.get(name="From a program").user == buyer_x.user
