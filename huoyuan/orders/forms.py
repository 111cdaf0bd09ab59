"""Forms of the trade pages: they parse what a person typed; the services decide what is allowed."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from huoyuan.orders.addresses import LIMITS, AddressInput
from huoyuan.orders.carriers import MAX_NAME, carrier_choices
from huoyuan.orders.cart import MAX_QUANTITY
from huoyuan.orders.contracts import LineKind
from huoyuan.orders.lifecycle import MAX_REASON
from huoyuan.orders.models import Address, Order
from huoyuan.orders.reviews import MAX_TEXT, SCORES


def _quantity(*, minimum: int) -> forms.IntegerField:
    message = _("Enter a whole number from %(low)s to %(high)s.") % {
        "low": minimum,
        "high": MAX_QUANTITY,
    }
    return forms.IntegerField(
        label=_("Quantity"),
        min_value=minimum,
        max_value=MAX_QUANTITY,
        error_messages={
            "required": message,
            "invalid": message,
            "min_value": message,
            "max_value": message,
        },
    )


class CartAddForm(forms.Form):
    """The product page's "Add to cart" (its quote form: product and SKU code) and "Order a
    sample" (a SKU id) buttons."""

    product_id = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    sku = forms.CharField(max_length=64, required=False)
    sku_id = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    quantity = _quantity(minimum=1)
    kind = forms.ChoiceField(choices=LineKind.choices, required=False)


class CartLineForm(forms.Form):
    """A cart line's quantity box; 0 removes the line."""

    quantity = _quantity(minimum=0)


class AddressForm(forms.Form):
    label = forms.CharField(
        label=_("Label"),
        max_length=LIMITS["label"],
        required=False,
        help_text=_("e.g. Warehouse, Shop"),
    )
    recipient = forms.CharField(label=_("Recipient"), max_length=LIMITS["recipient"])
    phone = forms.CharField(label=_("Phone"), max_length=LIMITS["phone"])
    country = forms.CharField(
        label=_("Country code"),
        max_length=LIMITS["country"],
        initial="CN",
        help_text=_("Two letters, e.g. CN or DE"),
    )
    province = forms.CharField(
        label=_("Province / state"), max_length=LIMITS["province"], required=False
    )
    city = forms.CharField(label=_("City"), max_length=LIMITS["city"])
    district = forms.CharField(label=_("District"), max_length=LIMITS["district"], required=False)
    street = forms.CharField(label=_("Street address"), max_length=LIMITS["street"])
    postal_code = forms.CharField(
        label=_("Postal code"), max_length=LIMITS["postal_code"], required=False
    )
    is_default = forms.BooleanField(label=_("Use as the default address"), required=False)

    def to_input(self) -> AddressInput:
        return AddressInput(**self.cleaned_data)

    @classmethod
    def initial_for(cls, address: Address) -> dict[str, Any]:
        return {name: getattr(address, name) for name in cls.base_fields}


# --- order actions ---------------------------------------------------------------------------


class OrderActionForm(forms.Form):
    """A form on the order page; it knows its order (for currencies, lines, defaults)."""

    def __init__(self, *args: Any, order: Order, **kwargs: Any) -> None:
        self.order = order
        super().__init__(*args, **kwargs)


def _reason(*, required: bool, label: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=MAX_REASON,
        required=required,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _amount(label: Any) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=20, help_text=_("e.g. 12.50"), widget=forms.TextInput()
    )


class PlainActionForm(OrderActionForm):
    """Actions that need nothing but the button (receive, withdraw, reorder)."""


class CancelForm(OrderActionForm):
    reason = _reason(required=False, label=_("Reason (optional)"))


class RefundRequestForm(OrderActionForm):
    amount = _amount(_("Amount to refund"))
    reason = _reason(required=True, label=_("What went wrong?"))


class ResolveRefundForm(OrderActionForm):
    amount = _amount(_("Amount to refund"))
    reason = _reason(required=False, label=_("Note (optional)"))


class DeclineRefundForm(OrderActionForm):
    reason = _reason(required=False, label=_("Why do you decline?"))


class ShipForm(OrderActionForm):
    # Any code goes through to the service, which refuses an unknown one in the API's words.
    carrier_code = forms.CharField(label=_("Carrier"), max_length=20, widget=forms.Select)
    carrier = forms.CharField(
        label=_("Name of the other carrier"),
        max_length=MAX_NAME,
        required=False,
        help_text=_("Only when the carrier is not in the list."),
    )
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=60)

    def __init__(self, *args: Any, order: Order, **kwargs: Any) -> None:
        super().__init__(*args, order=order, **kwargs)
        # Built per form, so the names are in the reader's language.
        select = cast(forms.Select, self.fields["carrier_code"].widget)
        select.choices = [("", str(_("Choose the carrier"))), *carrier_choices()]
        for line in order.lines.all():
            if line.to_ship:
                self.fields[f"line_{line.pk}"] = forms.IntegerField(
                    label=_("%(code)s %(label)s: units to ship (%(left)s left)")
                    % {"code": line.sku_code, "label": line.sku_label, "left": line.to_ship},
                    min_value=0,
                    max_value=line.to_ship,
                    initial=line.to_ship,
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        units = [v for name, v in data.items() if name.startswith("line_")]
        # The service reads "no quantities" as "everything left": zeros everywhere must not.
        if units and not any(units) and not self.errors:
            raise forms.ValidationError(_("Choose at least one unit to ship."))
        return data

    def quantities(self) -> dict[int, int]:
        return {
            int(name.removeprefix("line_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("line_") and value
        }


STARS = [(n, "★" * n) for n in range(5, 0, -1)]


class ReviewForm(OrderActionForm):
    quality = forms.TypedChoiceField(
        label=_("Quality"), choices=STARS, coerce=int, widget=forms.RadioSelect
    )
    accuracy = forms.TypedChoiceField(
        label=_("As described"), choices=STARS, coerce=int, widget=forms.RadioSelect
    )
    shipping_speed = forms.TypedChoiceField(
        label=_("Shipping speed"), choices=STARS, coerce=int, widget=forms.RadioSelect
    )
    communication = forms.TypedChoiceField(
        label=_("Communication"), choices=STARS, coerce=int, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label=_("Your review (optional)"),
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def scores(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name in SCORES}


class ReplyForm(OrderActionForm):
    reply = forms.CharField(
        label=_("Your reply"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )
