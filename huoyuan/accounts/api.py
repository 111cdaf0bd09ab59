from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router
from ninja.pagination import PageNumberPagination, paginate

from huoyuan.accounts import selectors, services
from huoyuan.accounts.auth import API_AUTH, current_actor, require_actor
from huoyuan.accounts.schemas import (
    InvitationIn,
    InvitationOut,
    MemberOut,
    MembershipOut,
    MeOut,
    RoleIn,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
)
from huoyuan.core.schemas import OkOut

router = Router(tags=["accounts"], auth=API_AUTH)


@router.get("/me", response=MeOut)
def me(request: HttpRequest):  # type: ignore[no-untyped-def]
    user = request.user
    actor = current_actor(request)
    memberships = list(selectors.membership_list_for_user(user=user))  # type: ignore[arg-type]
    active = next(
        (
            m.organization
            for m in memberships
            if actor and m.organization_id == actor.organization_id
        ),
        None,
    )
    return {
        "id": user.pk,
        "email": user.email,  # type: ignore[union-attr]
        "display_name": user.display_name,  # type: ignore[union-attr]
        "active_organization": active,
        "memberships": memberships,
    }


@router.get("/organization/members", response=list[MemberOut])
@paginate(PageNumberPagination)
def member_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    return selectors.organization_member_list(actor=require_actor(request))


@router.post("/organization/members/{membership_id}/role", response=MembershipOut)
def member_role(request: HttpRequest, membership_id: int, payload: RoleIn):  # type: ignore[no-untyped-def]
    actor = require_actor(request)
    return services.membership_change_role(
        actor=actor, membership_id=membership_id, role=payload.role
    )


@router.delete("/organization/members/{membership_id}", response=OkOut)
def member_remove(request: HttpRequest, membership_id: int):  # type: ignore[no-untyped-def]
    services.membership_remove(actor=require_actor(request), membership_id=membership_id)
    return {"ok": True}


@router.get("/organization/invitations", response=list[InvitationOut])
@paginate(PageNumberPagination)
def invitation_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    return selectors.invitation_list_pending(actor=require_actor(request))


@router.post("/organization/invitations", response={201: InvitationOut})
def invitation_create(request: HttpRequest, payload: InvitationIn):  # type: ignore[no-untyped-def]
    invitation = services.invitation_create(
        actor=require_actor(request),
        email=payload.email,
        role=payload.role,
        accept_url=request.build_absolute_uri(reverse("accounts:invitation_accept_base")),
    )
    return 201, invitation


@router.delete("/organization/invitations/{invitation_id}", response=OkOut)
def invitation_revoke(request: HttpRequest, invitation_id: int):  # type: ignore[no-untyped-def]
    services.invitation_revoke(actor=require_actor(request), invitation_id=invitation_id)
    return {"ok": True}


@router.get("/tokens", response=list[TokenOut])
@paginate(PageNumberPagination)
def token_list(request: HttpRequest):  # type: ignore[no-untyped-def]
    return selectors.api_token_list(user=request.user)  # type: ignore[arg-type]


@router.post("/tokens", response={201: TokenCreatedOut})
def token_create(request: HttpRequest, payload: TokenIn):  # type: ignore[no-untyped-def]
    token, raw = services.api_token_create(actor=require_actor(request), name=payload.name)
    return 201, {**TokenOut.from_orm(token).dict(), "token": raw}


@router.delete("/tokens/{token_id}", response=OkOut)
def token_revoke(request: HttpRequest, token_id: int):  # type: ignore[no-untyped-def]
    services.api_token_revoke(user=request.user, token_id=token_id)  # type: ignore[arg-type]
    return {"ok": True}
