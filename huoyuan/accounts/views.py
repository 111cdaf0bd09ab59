from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from huoyuan.accounts import selectors, services
from huoyuan.accounts.auth import current_actor
from huoyuan.accounts.contracts import Role
from huoyuan.accounts.errors import NotFound
from huoyuan.accounts.forms import (
    InvitationForm,
    OrganizationForm,
    ProfileForm,
    SignupForm,
    TokenForm,
)
from huoyuan.accounts.middleware import SESSION_KEY
from huoyuan.accounts.models import User
from huoyuan.core.errors import DomainError
from huoyuan.core.web import apply_error, page_view


def _user(request: HttpRequest) -> User:
    """The signed-in person (these views require login)."""
    return cast(User, request.user)


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_signup(
                email=data["email"],
                password=data["password"],
                display_name=data["display_name"],
                organization_kind=data["organization_kind"],
                organization_name=data["organization_name"],
                buyer_type=data["buyer_type"] if data["organization_kind"] == "buyer" else "",
            )
        except DomainError as error:
            apply_error(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to huoyuan!"))
            if data["organization_kind"] == "supplier":
                return redirect("suppliers:workbench_profile")
            return redirect("core:home")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={
            "display_name": user.display_name,  # type: ignore[union-attr]
            "phone": user.phone,  # type: ignore[union-attr]
            "preferred_language": user.preferred_language,  # type: ignore[union-attr]
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(user=user, **form.cleaned_data)  # type: ignore[arg-type]
        except DomainError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
def organizations(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organization_create(user=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except DomainError as error:
            apply_error(form, error)
        else:
            request.session[SESSION_KEY] = org.pk
            messages.success(request, _("Organization created; you are now acting for it."))
            return redirect("accounts:organizations")
    memberships = selectors.membership_list_for_user(user=_user(request))
    return render(
        request, "accounts/organizations.html", {"memberships": memberships, "form": form}
    )


@require_POST
@login_required
def organization_switch(request: HttpRequest) -> HttpResponse:
    try:
        organization_id = int(request.POST.get("organization", ""))
    except ValueError:
        raise Http404 from None
    membership = (
        selectors.membership_list_for_user(user=_user(request))
        .filter(organization_id=organization_id)
        .first()
    )
    if membership is None:
        raise Http404
    request.session[SESSION_KEY] = membership.organization_id
    messages.success(
        request, _("You are now acting for %(org)s.") % {"org": membership.organization.name}
    )
    return redirect("accounts:organizations")


@page_view()
def members(request: HttpRequest) -> HttpResponse:
    actor = current_actor(request)
    if actor is None:
        return redirect("accounts:organizations")
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                actor=actor,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                accept_url=request.build_absolute_uri(reverse("accounts:invitation_accept_base")),
            )
        except DomainError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Invitation sent."))
            return redirect("accounts:members")
    return render(
        request,
        "accounts/members.html",
        {
            "members": selectors.organization_member_list(actor=actor),
            "invitations": selectors.invitation_list_pending(actor=actor),
            "form": form,
            "roles": Role.choices,
        },
    )


@require_POST
@page_view()
def member_action(request: HttpRequest, membership_id: int) -> HttpResponse:
    actor = current_actor(request)
    if actor is None:
        raise Http404
    try:
        if request.POST.get("action") == "remove":
            services.membership_remove(actor=actor, membership_id=membership_id)
            messages.success(request, _("Member removed."))
        else:
            services.membership_change_role(
                actor=actor, membership_id=membership_id, role=request.POST.get("role", "")
            )
            messages.success(request, _("Role changed."))
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("accounts:members")


@require_POST
@page_view()
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    actor = current_actor(request)
    if actor is None:
        raise Http404
    try:
        services.invitation_revoke(actor=actor, invitation_id=invitation_id)
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("accounts:members")


def invitation_accept(request: HttpRequest, token: str = "") -> HttpResponse:
    if not request.user.is_authenticated:
        messages.info(
            request,
            _("Log in or sign up with the invited email address, then open the link again."),
        )
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    if request.method == "POST":
        try:
            membership = services.invitation_accept(user=_user(request), token=token)
        except DomainError as error:
            return render(request, "accounts/invitation.html", {"error": error.message}, status=400)
        request.session[SESSION_KEY] = membership.organization_id
        messages.success(request, _("You joined %(org)s.") % {"org": membership.organization.name})
        return redirect("accounts:organizations")
    try:
        invitation = selectors.invitation_get_by_token(token=token)
    except NotFound:
        invitation = None
    if invitation is None or not selectors.invitation_is_open(invitation=invitation):
        return render(
            request,
            "accounts/invitation.html",
            {"error": _("This invitation link is invalid, expired or already used.")},
            status=404,
        )
    return render(request, "accounts/invitation.html", {"invitation": invitation})


@page_view()
def tokens(request: HttpRequest) -> HttpResponse:
    actor = current_actor(request)
    form = TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        if actor is None:
            form.add_error(None, _("Join or create an organization first."))
        else:
            try:
                _token, secret = services.api_token_create(
                    actor=actor, name=form.cleaned_data["name"]
                )
                form = TokenForm()
            except DomainError as error:
                apply_error(form, error)
    return render(
        request,
        "accounts/tokens.html",
        {"tokens": selectors.api_token_list(user=request.user), "form": form, "secret": secret},  # type: ignore[arg-type]
    )


@require_POST
@page_view()
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    services.api_token_revoke(user=request.user, token_id=token_id)  # type: ignore[arg-type]
    messages.success(request, _("Token revoked; programs using it can no longer sign in."))
    return redirect("accounts:tokens")
