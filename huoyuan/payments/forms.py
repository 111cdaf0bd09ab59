"""Forms of the payment pages: checkout, payouts, the operator's matching and payout marking."""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from huoyuan.orders.services import CartQuote
from huoyuan.payments.contracts import Provider

MAX_NOTE = 500


def address_label(address: Any) -> str:
    parts = [address.label, f"{address.recipient} · {address.phone}", address.street, address.city]
    return ", ".join(p for p in parts if p)


class CheckoutForm(forms.Form):
    """The address, a note per supplier, the payment method, and the quote the buyer saw."""

    address = forms.ChoiceField(
        label=_("Ship to"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a shipping address from your address book.")},
    )
    payment_method = forms.ChoiceField(
        label=_("Payment method"),
        choices=Provider.choices,
        initial=Provider.SANDBOX,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a payment method.")},
    )
    quote_token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    # The lines and prices the buyer looked at, to say what changed if checkout finds new ones.
    seen = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100_000)

    def __init__(self, *args: Any, quote: CartQuote, addresses: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.quote = quote
        self.addresses = addresses
        cast(forms.ChoiceField, self.fields["address"]).choices = [
            (str(a.pk), address_label(a)) for a in addresses
        ]
        default = next((a for a in addresses if a.is_default), addresses[0] if addresses else None)
        if default is not None:
            self.fields["address"].initial = str(default.pk)
        self.fields["quote_token"].initial = quote.token
        self.fields["seen"].initial = seen_of(quote)
        for group in quote.groups:
            self.fields[f"note_{group.supplier_id}"] = forms.CharField(
                label=_("Note to %(supplier)s (optional)") % {"supplier": group.supplier_name},
                max_length=MAX_NOTE,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def note_field(self, supplier_id: int) -> Any:
        return self[f"note_{supplier_id}"]

    def notes(self) -> dict[int, str]:
        return {
            int(name.removeprefix("note_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("note_") and value
        }


def seen_of(quote: CartQuote) -> str:
    return json.dumps(
        [
            [line.line_id, line.quantity, line.unit_price_minor, line.currency, _item(line)]
            for line in quote.lines
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _item(line: Any) -> str:
    return f"{line.product_title} ({line.sku_label})" if line.sku_label else line.product_title


def parse_seen(raw: str) -> dict[int, tuple[int, int, str, str]]:
    """line id -> (quantity, unit price, currency, item); nonsense gives nothing (no message)."""
    try:
        rows = json.loads(raw or "[]")
        return {
            int(row[0]): (int(row[1]), int(row[2]), str(row[3]), str(row[4])[:300]) for row in rows
        }
    except (ValueError, TypeError, IndexError, KeyError):
        return {}


class PayoutAccountForm(forms.Form):
    holder_name = forms.CharField(label=_("Account holder"), max_length=120)
    bank_name = forms.CharField(label=_("Bank"), max_length=120)
    account_number = forms.CharField(
        label=_("Account number"),
        max_length=60,
        help_text=_("Letters and digits; spaces are ignored."),
    )


class PayoutRequestForm(forms.Form):
    currency = forms.ChoiceField(label=_("Currency"))

    def __init__(self, *args: Any, currencies: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["currency"]).choices = [
            (c, c) for c in currencies or ["CNY"]
        ]


class BankTransferMatchForm(forms.Form):
    reference = forms.CharField(
        label=_("Payment reference"),
        max_length=20,
        help_text=_("As the buyer quoted it on the transfer, e.g. PAYAB12CD34EF"),
    )
    amount = forms.CharField(
        label=_("Amount received"), max_length=20, help_text=_("As on the bank statement")
    )
    bank_reference = forms.CharField(
        label=_("Bank reference"),
        max_length=80,
        help_text=_("The bank's own reference of the incoming transfer"),
    )


class PayoutPaidForm(forms.Form):
    reference = forms.CharField(
        label=_("Bank reference of the payout"), max_length=80, help_text=_("From your bank")
    )
