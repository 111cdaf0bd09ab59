"""The carriers a supplier ships with, and the seam for carrier integrations.

Shipping is manual for now: the supplier books a carrier itself, hands over the parcel and records
the carrier and its waybill (tracking) number. ``CARRIERS`` is the list the ship form and the API
offer; each carrier knows its tracking page and, only where the format is reliable, what its
numbers look like. ``other`` lets the supplier type a carrier's name (no tracking link then).

A carrier integration (a later issue) implements ``CarrierAdapter`` and is what ``adapter_for``
returns for its carrier; until then every carrier ships through ``ManualAdapter``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import quote

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from huoyuan.orders.errors import ValidationFailed

OTHER = "other"
MAX_NAME = 60  # Shipment.carrier
TRACKING_NUMBER = re.compile(r"[A-Z0-9-]{4,40}")


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str  # an English msgid: stored on the shipment as is, translated when shown
    tracking_url: str = ""  # "{number}" stands for the tracking number
    pattern: re.Pattern[str] | None = None  # what its numbers look like, where that is reliable
    example: str = ""  # a well-formed number, quoted when one is refused

    @property
    def label(self) -> str:
        """The name in the reader's language."""
        return _(self.name)

    def tracking_link(self, number: str) -> str | None:
        if not self.tracking_url or not number:
            return None
        return self.tracking_url.format(number=quote(number, safe=""))

    def clean_tracking_number(self, number: str) -> str:
        """The number as recorded (spaces dropped, upper case), or ValidationFailed saying why."""
        cleaned = "".join((number or "").split()).upper()
        if not TRACKING_NUMBER.fullmatch(cleaned):
            raise ValidationFailed(
                _("Enter the tracking number: 4 to 40 letters, digits or dashes."),
                field="tracking_number",
            )
        if self.pattern is not None and not self.pattern.fullmatch(cleaned):
            raise ValidationFailed(
                _(
                    "%(carrier)s tracking numbers look like %(example)s: check this one, or "
                    "choose another carrier."
                )
                % {"carrier": self.label, "example": self.example},
                field="tracking_number",
            )
        return cleaned


def _kuaidi100(company: str) -> str:
    # We know of no stable deep link into these carriers' own sites; kuaidi100's public query
    # page takes the carrier and the number in its address.
    return f"https://www.kuaidi100.com/chaxun?com={company}&nu={{number}}"


CARRIERS: dict[str, Carrier] = {
    carrier.code: carrier
    for carrier in (
        # China
        Carrier(
            "sf",
            gettext_noop("SF Express"),
            "https://www.sf-express.com/chn/sc/waybill/waybill-detail/{number}",
            re.compile(r"SF\d{10,15}|\d{12}"),
            "SF1234567890123",
        ),
        Carrier("zto", gettext_noop("ZTO Express"), _kuaidi100("zhongtong")),
        Carrier("yto", gettext_noop("YTO Express"), _kuaidi100("yuantong")),
        Carrier("sto", gettext_noop("STO Express"), _kuaidi100("shentong")),
        Carrier("yunda", gettext_noop("Yunda Express"), _kuaidi100("yunda")),
        Carrier("jd", gettext_noop("JD Logistics"), _kuaidi100("jd")),
        Carrier(
            "ems",
            gettext_noop("EMS / China Post"),
            _kuaidi100("ems"),
            # International items follow UPU S10 (EA123456789CN); domestic ones are 13 digits.
            re.compile(r"[A-Z]{2}\d{9}[A-Z]{2}|\d{13}"),
            "EA123456789CN",
        ),
        # International and Europe
        Carrier(
            "dhl",
            gettext_noop("DHL"),
            "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}&submit=1",
        ),
        Carrier("ups", gettext_noop("UPS"), "https://www.ups.com/track?tracknum={number}"),
        Carrier(
            "fedex", gettext_noop("FedEx"), "https://www.fedex.com/fedextrack/?trknbr={number}"
        ),
        Carrier("dpd", gettext_noop("DPD"), "https://tracking.dpd.de/status/en_US/parcel/{number}"),
        Carrier(OTHER, gettext_noop("Other carrier")),
    )
}


def carrier_choices() -> list[tuple[str, str]]:
    """(code, name) for a select, in the reader's language."""
    return [(carrier.code, carrier.label) for carrier in CARRIERS.values()]


@dataclass(frozen=True)
class Waybill:
    """A parcel's carrier and number, checked. ``code`` is "" when the caller named the carrier as
    free text (callers that predate the carrier list; stored shipments from before it)."""

    carrier: Carrier
    code: str
    name: str
    number: str


def waybill_clean(*, carrier_code: str | None, carrier: str, tracking_number: str) -> Waybill:
    """Check what the supplier entered. With ``carrier_code``: a carrier from the list (``other``
    with its name in ``carrier``) and a tracking number that suits it. Without it: the free-text
    form that came first, checked as before (a name and a number of up to 60 characters)."""
    name = (carrier or "").strip()
    if carrier_code is None:
        number = (tracking_number or "").strip()
        if not name or len(name) > MAX_NAME:
            raise ValidationFailed(_("Name the carrier (up to 60 characters)."), field="carrier")
        if not number or len(number) > 60:
            raise ValidationFailed(
                _("Enter the tracking number (up to 60 characters)."), field="tracking_number"
            )
        return Waybill(carrier=CARRIERS[OTHER], code="", name=name, number=number)
    chosen = CARRIERS.get(carrier_code.strip().lower())
    if chosen is None:
        raise ValidationFailed(
            _(
                "Unknown carrier “%(code)s”: choose one from the list, or “other” and type the "
                "carrier's name."
            )
            % {"code": carrier_code[:20]},
            field="carrier_code",
            code="unknown_carrier",
        )
    if chosen.code == OTHER:
        if not name or len(name) > MAX_NAME:
            raise ValidationFailed(_("Name the carrier (up to 60 characters)."), field="carrier")
    else:
        name = chosen.name  # the list's name, whatever was typed next to it
    number = chosen.clean_tracking_number(tracking_number)
    return Waybill(carrier=chosen, code=chosen.code, name=name, number=number)


# --- the seam for carrier integrations ---------------------------------------------------------


@dataclass(frozen=True)
class PickupRequest:
    """What the platform knows when a supplier ships a parcel."""

    order_id: int
    order_number: str
    waybill: Waybill


@dataclass(frozen=True)
class TrackingEvent:
    """One scan of a parcel, as a carrier reports it."""

    at: datetime
    description: str
    place: str = ""


class CarrierAdapter(Protocol):
    """What a carrier integration implements (a later issue; ``ManualAdapter`` is the only one).

    ``create_pickup`` is called by ``order_ship`` once the supplier's right to ship and the units
    were checked, inside the shipping transaction with the order locked. An integration books the
    carrier's pickup (or prints its label) and returns the waybill number the carrier issued; it
    must answer quickly and be idempotent per order and request, since a retried ship repeats it.

    ``track`` returns a parcel's scans, oldest first: for the order page, and for the service
    metric "collected within 48 hours" (CONTEXT.md), which needs the carrier's first scan.
    """

    def create_pickup(self, request: PickupRequest) -> str: ...

    def track(self, carrier: Carrier, tracking_number: str) -> list[TrackingEvent]: ...


class ManualAdapter:
    """Manual shipping: the supplier booked the carrier itself, so the pickup is arranged and its
    number is the one typed; the platform receives no scans (the buyer follows the carrier's
    tracking page instead)."""

    def create_pickup(self, request: PickupRequest) -> str:
        return request.waybill.number

    def track(self, carrier: Carrier, tracking_number: str) -> list[TrackingEvent]:
        return []


MANUAL = ManualAdapter()


def adapter_for(carrier: Carrier) -> CarrierAdapter:
    """The adapter that ships with ``carrier``: the manual one until integrations arrive."""
    return MANUAL
