"""The buyer organization's address book."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from huoyuan.accounts.contracts import Actor
from huoyuan.orders.cart import require_buyer
from huoyuan.orders.errors import NotFound, ValidationFailed
from huoyuan.orders.models import Address

MAX_ADDRESSES = 50
LIMITS = {
    "label": 40,
    "recipient": 80,
    "phone": 32,
    "country": 2,
    "province": 60,
    "city": 60,
    "district": 60,
    "street": 200,
    "postal_code": 16,
}
REQUIRED = ("recipient", "phone", "city", "street")


@dataclass(frozen=True, slots=True)
class AddressInput:
    recipient: str
    phone: str
    city: str
    street: str
    country: str = "CN"
    province: str = ""
    district: str = ""
    postal_code: str = ""
    label: str = ""
    is_default: bool = False


def _clean(data: AddressInput) -> dict[str, object]:
    values: dict[str, object] = {}
    for name, limit in LIMITS.items():
        value = str(getattr(data, name) or "").strip()
        if name in REQUIRED and not value:
            raise ValidationFailed(_("This field is required."), field=name)
        if len(value) > limit:
            raise ValidationFailed(_("Use at most %(n)s characters.") % {"n": limit}, field=name)
        values[name] = value
    country = str(values["country"]).upper() or "CN"
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        raise ValidationFailed(
            _("Use a two-letter country code such as CN or DE."), field="country"
        )
    values["country"] = country
    phone = str(values["phone"])
    if not any(ch.isdigit() for ch in phone) or any(
        not (ch.isdigit() or ch in "+-() ") for ch in phone
    ):
        raise ValidationFailed(_("Enter a phone number (digits, spaces, + - ( ))."), field="phone")
    values["is_default"] = bool(data.is_default)
    return values


def address_create(*, actor: Actor, data: AddressInput) -> Address:
    require_buyer(actor)
    values = _clean(data)
    with transaction.atomic():
        existing = Address.objects.select_for_update().filter(buyer_id=actor.organization_id)
        count = existing.count()
        if count >= MAX_ADDRESSES:
            raise ValidationFailed(
                _("An address book holds at most %(n)s addresses.") % {"n": MAX_ADDRESSES}
            )
        if count == 0:
            values["is_default"] = True
        if values["is_default"]:
            existing.update(is_default=False)
        return Address.objects.create(buyer_id=actor.organization_id, **values)


def address_update(*, actor: Actor, address_id: int, data: AddressInput) -> Address:
    require_buyer(actor)
    values = _clean(data)
    with transaction.atomic():
        address = (
            Address.objects.select_for_update()
            .filter(pk=address_id, buyer_id=actor.organization_id)
            .first()
        )
        if address is None:
            raise NotFound()
        if values["is_default"]:
            Address.objects.filter(buyer_id=actor.organization_id).exclude(pk=address.pk).update(
                is_default=False
            )
        else:
            values["is_default"] = address.is_default  # keep one default; pick another to move it
        for name, value in values.items():
            setattr(address, name, value)
        address.save()
        return address


def address_delete(*, actor: Actor, address_id: int) -> None:
    require_buyer(actor)
    with transaction.atomic():
        address = Address.objects.filter(pk=address_id, buyer_id=actor.organization_id).first()
        if address is None:
            raise NotFound()
        address.delete()
        if address.is_default:
            successor = (
                Address.objects.filter(buyer_id=actor.organization_id).order_by("-pk").first()
            )
            if successor is not None:
                successor.is_default = True
                successor.save(update_fields=["is_default"])
