from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huoyuan.suppliers.contracts import BusinessType, VerificationLevel
from huoyuan.suppliers.models import IndustrialBelt, SupplierProfile


class BeltChoiceField(forms.ModelChoiceField[IndustrialBelt]):
    def label_from_instance(self, obj: IndustrialBelt) -> str:
        return obj.localized("name")


class ProfileForm(forms.Form):
    business_type = forms.ChoiceField(label=_("Business type"), choices=BusinessType.choices)
    belt = BeltChoiceField(
        label=_("Industrial belt"), queryset=IndustrialBelt.objects.all(), required=False
    )
    tagline = forms.CharField(label=_("Tagline"), max_length=140, required=False)
    description = forms.CharField(
        label=_("About the company"), widget=forms.Textarea, max_length=5000, required=False
    )
    province = forms.CharField(label=_("Province"), max_length=40, required=False)
    city = forms.CharField(label=_("City"), max_length=40, required=False)
    founded_year = forms.IntegerField(
        label=_("Founded (year)"), min_value=1800, max_value=2100, required=False
    )
    floor_area_m2 = forms.IntegerField(label=_("Floor area (m²)"), min_value=0, required=False)
    staff_count = forms.IntegerField(label=_("Staff"), min_value=0, required=False)
    monthly_capacity = forms.CharField(
        label=_("Monthly capacity"),
        max_length=80,
        required=False,
        help_text=_("e.g. 200,000 pieces"),
    )
    oem = forms.BooleanField(label=_("OEM (makes to the buyer's design)"), required=False)
    odm = forms.BooleanField(label=_("ODM (offers its own designs)"), required=False)
    certifications = forms.CharField(
        label=_("Certifications"),
        required=False,
        max_length=2000,
        help_text=_("One per line, e.g. ISO 9001"),
        widget=forms.Textarea,
    )
    patents_count = forms.IntegerField(label=_("Patents"), min_value=0, required=False)
    mixed_batch_moq = forms.IntegerField(
        label=_("Mixed-batch MOQ for the whole store"),
        min_value=1,
        max_value=10_000_000,
        required=False,
        help_text=_(
            "混批: with this set, buyers may mix any of your items in one order as long as it "
            "holds this many units in all (SKU MOQs are waived). Leave empty for none."
        ),
    )

    def clean_certifications(self) -> list[str]:
        return [
            line.strip()
            for line in self.cleaned_data["certifications"].splitlines()
            if line.strip()
        ]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        belt = data.pop("belt")
        data["belt_id"] = belt.pk if belt else None
        return data

    @classmethod
    def initial_for(cls, profile: SupplierProfile) -> dict[str, Any]:
        names = [n for n in cls.base_fields if n not in ("belt", "certifications")]
        return {
            **{n: getattr(profile, n) for n in names},
            "belt": profile.belt_id,
            "certifications": "\n".join(profile.certifications),
        }


class LogoForm(forms.Form):
    logo = forms.FileField(label=_("Logo (JPEG, PNG or WebP)"))


class FactoryPhotoForm(forms.Form):
    photo = forms.FileField(label=_("Factory photo (JPEG, PNG or WebP)"))
    caption = forms.CharField(
        label=_("Caption"),
        max_length=120,
        required=False,
        help_text=_("e.g. injection moulding workshop"),
    )


class VerificationForm(forms.Form):
    organization_id = forms.IntegerField(widget=forms.HiddenInput)
    level = forms.TypedChoiceField(
        label=_("Verification"), choices=VerificationLevel.choices, coerce=int
    )
