from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from huoyuan.accounts.contracts import BuyerType, OrganizationKind, Role


class EmailAuthenticationForm(AuthenticationForm):
    """Log in by email typed in any case: accounts store it lowercased (see ``UserManager``).

    Normalising here, before ``authenticate``, also keys the login rate limit on the stored
    address, so changing the case of the email does not buy more attempts.
    """

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).strip().lower()


class SignupForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    display_name = forms.CharField(label=_("Your name"), max_length=100, required=False)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    organization_kind = forms.ChoiceField(
        label=_("I am a"),
        choices=[
            (OrganizationKind.BUYER, _("Buyer")),
            (OrganizationKind.SUPPLIER, _("Supplier (factory or trading company)")),
        ],
        widget=forms.RadioSelect,
        initial=OrganizationKind.BUYER,
    )
    organization_name = forms.CharField(label=_("Company or shop name"), max_length=120)
    buyer_type = forms.ChoiceField(
        label=_("What kind of buyer"), choices=[("", "—"), *BuyerType.choices], required=False
    )


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Your name"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    preferred_language = forms.ChoiceField(
        label=_("Language"), choices=[("", "—"), *settings.LANGUAGES], required=False
    )


class OrganizationForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(OrganizationKind.BUYER, _("Buyer")), (OrganizationKind.SUPPLIER, _("Supplier"))],
    )
    name = forms.CharField(label=_("Name"), max_length=120)


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.STAFF)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=80, help_text=_("e.g. ERP sync"))
