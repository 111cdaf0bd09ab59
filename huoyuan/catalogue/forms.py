from __future__ import annotations

import dataclasses
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from huoyuan.catalogue.contracts import ImportMode, PriceBreak, ProductInput, SkuInput
from huoyuan.catalogue.models import Category, Product
from huoyuan.catalogue.textformats import PairsMalformed, format_pairs, parse_pairs
from huoyuan.core.errors import DomainError
from huoyuan.core.money import MINOR_DIGITS, parse_amount
from huoyuan.core.web import apply_error

LADDER_BREAKS = 4


class CategoryChoiceField(forms.ModelChoiceField[Category]):
    def label_from_instance(self, obj: Category) -> str:
        return "\u3000" * obj.depth + obj.localized("name")


class ProductForm(forms.Form):
    category = CategoryChoiceField(queryset=Category.objects.order_by("path"), label=_("Category"))
    title_zh_hans = forms.CharField(label=_("Title (Chinese)"), max_length=200, required=False)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    title_de = forms.CharField(label=_("Title (German)"), max_length=200, required=False)
    description_zh_hans = forms.CharField(
        label=_("Description (Chinese)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=20000,
    )
    description_en = forms.CharField(
        label=_("Description (English)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=20000,
    )
    description_de = forms.CharField(
        label=_("Description (German)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=20000,
    )
    currency = forms.ChoiceField(
        label=_("Currency"), choices=[(c, c) for c in MINOR_DIGITS], initial="CNY"
    )
    mixed_batch_moq = forms.IntegerField(
        label=_("Mixed-batch MOQ"),
        required=False,
        min_value=1,
        help_text=_(
            "混批: the minimum total across this product's SKUs in one order. Leave empty for none."
        ),
    )
    lead_time_days = forms.IntegerField(
        label=_("Lead time (days)"), min_value=0, max_value=365, initial=3
    )
    weight_g = forms.IntegerField(label=_("Weight (g)"), required=False, min_value=1)
    length_mm = forms.IntegerField(label=_("Length (mm)"), required=False, min_value=1)
    width_mm = forms.IntegerField(label=_("Width (mm)"), required=False, min_value=1)
    height_mm = forms.IntegerField(label=_("Height (mm)"), required=False, min_value=1)
    attributes = forms.CharField(
        label=_("Specifications"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=6000,
        help_text=_("One per line, e.g. Material=Ceramic"),
    )
    publish = forms.BooleanField(label=_("Publish now"), required=False)

    def clean_attributes(self) -> dict[str, str]:
        try:
            return parse_pairs(self.cleaned_data["attributes"], per_line=True)
        except PairsMalformed:
            raise forms.ValidationError(
                _('Write one specification per line as "name=value".')
            ) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(f"title_{s}") for s in ("zh_hans", "en", "de")):
            self.add_error("title_en", _("Give the product a title in at least one language."))
        return data

    @classmethod
    def initial_for(cls, product: Product) -> dict[str, Any]:
        names = [n for n in cls.base_fields if n not in ("category", "publish", "attributes")]
        return {
            "category": product.category_id,
            "attributes": format_pairs(product.attributes, per_line=True),
            **{n: getattr(product, n) for n in names},
        }


class SkuForm(forms.Form):
    code = forms.CharField(label=_("SKU code"), max_length=64)
    attributes = forms.CharField(
        label=_("Variant"),
        required=False,
        max_length=500,
        help_text=_('e.g. "colour=Black; size=M"'),
    )
    stock = forms.IntegerField(label=_("Stock"), min_value=0, max_value=1_000_000_000)
    moq = forms.IntegerField(label=_("MOQ"), min_value=1, initial=1)
    dropship_price = forms.CharField(label=_("Dropship price"), required=False, max_length=20)
    sample_price = forms.CharField(label=_("Sample price"), required=False, max_length=20)
    sample_limit = forms.IntegerField(
        label=_("Samples per order"),
        min_value=1,
        max_value=10_000,
        required=False,
        help_text=_("How many samples one order may hold (2 if left empty)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(1, LADDER_BREAKS + 1):
            self.fields[f"q{i}"] = forms.IntegerField(
                label=_("From quantity"), required=(i == 1), min_value=1
            )
            self.fields[f"p{i}"] = forms.CharField(
                label=_("Unit price"), required=(i == 1), max_length=20
            )

    def ladder_fields(self) -> list[tuple[Any, Any]]:
        return [(self[f"q{i}"], self[f"p{i}"]) for i in range(1, LADDER_BREAKS + 1)]

    def ladder_pairs(self) -> list[tuple[int, str]]:
        pairs = []
        for i in range(1, LADDER_BREAKS + 1):
            q, p = self.cleaned_data.get(f"q{i}"), self.cleaned_data.get(f"p{i}")
            if q and p:
                pairs.append((q, p))
            elif q or p:
                self.add_error(
                    f"p{i}" if q else f"q{i}", _("Give both the quantity and the price.")
                )
        return pairs

    def clean_attributes(self) -> dict[str, str]:
        try:
            return parse_pairs(self.cleaned_data.get("attributes") or "")
        except PairsMalformed:
            raise forms.ValidationError(_('Write variants as "colour=Black; size=M".')) from None

    @staticmethod
    def initial_for(sku: Any) -> dict[str, Any]:
        from huoyuan.core.money import Money

        def money(minor: int | None, currency: str) -> str:
            return "" if minor is None else str(Money(minor, currency).amount)

        currency = sku.product.currency
        row: dict[str, Any] = {
            "code": sku.code,
            "attributes": format_pairs(sku.attributes),
            "stock": sku.stock,
            "moq": sku.moq,
            "dropship_price": money(sku.dropship_price_minor, currency),
            "sample_price": money(sku.sample_price_minor, currency),
            "sample_limit": sku.sample_limit,
        }
        for i, tier in enumerate(sku.tiers.all()[:LADDER_BREAKS], start=1):
            row[f"q{i}"] = tier.min_quantity
            row[f"p{i}"] = money(tier.unit_price_minor, currency)
        return row


SkuFormSet = forms.formset_factory(
    SkuForm, extra=0, min_num=1, max_num=100, validate_min=True, validate_max=True
)


def product_input_from_forms(form: ProductForm, skus: Any) -> ProductInput | None:
    """Build the service input; on a bad price or ladder, put the error on the right field."""
    data = form.cleaned_data
    currency = data["currency"]
    sku_inputs: list[SkuInput] = []
    for sku_form in skus.forms:
        if not sku_form.cleaned_data:
            continue
        try:
            pairs = sku_form.ladder_pairs()
            if sku_form.errors:
                return None
            ladder = [
                PriceBreak(q, parse_amount(p, currency, field=f"p{i}"))
                for i, (q, p) in enumerate(pairs, start=1)
            ]
            sku_inputs.append(
                SkuInput(
                    code=sku_form.cleaned_data["code"].strip(),
                    attributes=sku_form.cleaned_data["attributes"],
                    stock=sku_form.cleaned_data["stock"],
                    moq=sku_form.cleaned_data["moq"],
                    ladder=ladder,
                    dropship_price_minor=_optional_money(sku_form, "dropship_price", currency),
                    sample_price_minor=_optional_money(sku_form, "sample_price", currency),
                    **_sample_limit(sku_form),
                )
            )
        except DomainError as error:
            apply_error(sku_form, error)
            return None
    return ProductInput(
        category_id=data["category"].pk,
        skus=sku_inputs,
        **{
            f.name: data[f.name]
            for f in dataclasses.fields(ProductInput)
            if f.name not in ("category_id", "skus")
        },
    )


def _sample_limit(form: forms.Form) -> dict[str, int]:
    """The row's sample limit; left empty (or a form without the column): the default."""
    limit = form.cleaned_data.get("sample_limit")
    return {"sample_limit": limit} if limit else {}


def _optional_money(form: forms.Form, name: str, currency: str) -> int | None:
    raw = form.cleaned_data.get(name) or ""
    return parse_amount(raw, currency, field=name) if raw.strip() else None


def _break_field(form: SkuForm, index: str) -> str:
    """The quantity box of the ladder break the service names; breaks left empty were skipped."""
    filled = [
        i
        for i in range(1, LADDER_BREAKS + 1)
        if form.cleaned_data.get(f"q{i}") and form.cleaned_data.get(f"p{i}")
    ]
    return f"q{filled[int(index)]}" if index.isdigit() and int(index) < len(filled) else "q1"


def apply_service_error(error: DomainError, form: ProductForm, skus: Any) -> None:
    """Map ``skus.1.ladder.0`` style fields from the service onto the SKU row's form."""
    field = error.field or ""
    if field.startswith("skus."):
        parts = field.split(".")
        # The service numbers only the rows that were filled in (empty extra rows are skipped).
        rows = [f for f in skus.forms if f.cleaned_data]
        if len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(rows):
            target = rows[int(parts[1])]
            name = parts[2] if len(parts) > 2 else None
            if name == "ladder":
                name = _break_field(target, parts[3] if len(parts) > 3 else "")
            name = {
                "dropship_price_minor": "dropship_price",
                "sample_price_minor": "sample_price",
            }.get(name or "", name)
            target.add_error(name if name in target.fields else None, str(error.message))
            return
    apply_error(form, error)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))
    mode = forms.ChoiceField(
        label=_("Bad rows"),
        choices=ImportMode.choices,
        initial=ImportMode.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )
    publish = forms.BooleanField(label=_("Publish imported products"), required=False)


class ImageForm(forms.Form):
    image = forms.FileField(label=_("Add an image (JPEG, PNG or WebP)"))
