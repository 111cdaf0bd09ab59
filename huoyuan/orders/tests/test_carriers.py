"""Carriers: the list the supplier ships with, the loose check of tracking numbers (and the strict
one for carriers whose format is reliable), and the buyer's tracking link on the order page and in
the API. Free-text carriers (callers and shipments from before the list) keep working."""

from __future__ import annotations

import re
from html import unescape
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import translation

from huoyuan.catalogue.models import Category
from huoyuan.catalogue.tests.factories import make_product, sku
from huoyuan.orders import services
from huoyuan.orders.carriers import CARRIERS, OTHER, waybill_clean
from huoyuan.orders.errors import ValidationFailed
from huoyuan.orders.models import Order, OrderEvent, Shipment
from huoyuan.orders.tests.factories import paid_order, sku_of

if TYPE_CHECKING:
    from conftest import Person

ORDERS = "/api/orders"
SF_PAGE = "https://www.sf-express.com/chn/sc/waybill/waybill-detail/"
SF_NUMBER_HINT = (
    "SF Express tracking numbers look like SF1234567890123: check this one, or choose another "
    "carrier."
)
LOOSE_HINT = "Enter the tracking number: 4 to 40 letters, digits or dashes."


# --- the list and the number check (no database) -----------------------------------------------


def test_the_list_holds_the_common_carriers_of_china_and_europe_and_other() -> None:
    assert list(CARRIERS) == [
        "sf", "zto", "yto", "sto", "yunda", "jd", "ems", "dhl", "ups", "fedex", "dpd", "other",
    ]  # fmt: skip


def test_every_carrier_but_other_links_its_tracking_page_with_the_number() -> None:
    for code, carrier in CARRIERS.items():
        link = carrier.tracking_link("AB-12/34")
        if code == OTHER:
            assert link is None
            continue
        assert link is not None, code
        assert link.startswith("https://"), code
        assert "AB-12%2F34" in link, code
        assert "{" not in link, code
    assert CARRIERS["sf"].tracking_link("SF1234567890123") == f"{SF_PAGE}SF1234567890123"
    assert CARRIERS["ups"].tracking_link("") is None


@pytest.mark.parametrize(
    ("code", "typed", "recorded"),
    [
        ("zto", " 7312 3456-7890 ", "73123456-7890"),
        ("dpd", "ab12", "AB12"),
        ("dhl", "1" * 40, "1" * 40),
        ("sf", "sf 1234 5678 90123", "SF1234567890123"),
        ("sf", "123456789012", "123456789012"),
        ("ems", "ea123456789cn", "EA123456789CN"),
        ("ems", "1234567890123", "1234567890123"),
    ],
)
def test_a_tracking_number_is_recorded_without_spaces_in_upper_case(
    code: str, typed: str, recorded: str
) -> None:
    assert CARRIERS[code].clean_tracking_number(typed) == recorded


@pytest.mark.parametrize(
    ("code", "typed", "message"),
    [
        ("zto", "", LOOSE_HINT),
        ("dhl", "AB1", LOOSE_HINT),
        ("ups", "1Z#12345", LOOSE_HINT),
        ("fedex", "9" * 41, LOOSE_HINT),
        ("jd", "京东12345", LOOSE_HINT),
        ("sf", "SF12", SF_NUMBER_HINT),
        ("sf", "ZT1234567890123", SF_NUMBER_HINT),
        (
            "ems",
            "EA12345CN",
            "EMS / China Post tracking numbers look like EA123456789CN: check this one, or "
            "choose another carrier.",
        ),
    ],
)
def test_a_bad_tracking_number_is_refused_with_the_reason(
    code: str, typed: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        CARRIERS[code].clean_tracking_number(typed)
    assert (str(refused.value.message), refused.value.field) == (message, "tracking_number")


def test_an_unknown_carrier_code_is_refused_by_its_own_code() -> None:
    with pytest.raises(ValidationFailed) as refused:
        waybill_clean(carrier_code="pigeon", carrier="", tracking_number="AB1234")
    assert refused.value.as_dict() == {
        "code": "unknown_carrier",
        "message": "Unknown carrier “pigeon”: choose one from the list, or “other” and type the "
        "carrier's name.",
        "field": "carrier_code",
    }


def test_a_listed_carrier_is_recorded_by_its_own_name_whatever_was_typed_beside_it() -> None:
    waybill = waybill_clean(carrier_code=" SF ", carrier="Shunfeng", tracking_number="123456789012")
    assert (waybill.code, waybill.name, waybill.number) == ("sf", "SF Express", "123456789012")


def test_other_needs_the_carriers_name_and_keeps_it() -> None:
    with pytest.raises(ValidationFailed) as refused:
        waybill_clean(carrier_code=OTHER, carrier=" ", tracking_number="YW-0001")
    assert (str(refused.value.message), refused.value.field) == (
        "Name the carrier (up to 60 characters).",
        "carrier",
    )
    waybill = waybill_clean(carrier_code=OTHER, carrier=" Yiwu Freight ", tracking_number="yw-0001")
    assert (waybill.code, waybill.name, waybill.number) == (OTHER, "Yiwu Freight", "YW-0001")


def test_without_a_code_the_carrier_is_free_text_checked_as_before() -> None:
    waybill = waybill_clean(carrier_code=None, carrier=" SF ", tracking_number=" 1 ")
    assert (waybill.code, waybill.name, waybill.number) == ("", "SF", "1")


def test_carrier_names_are_shown_in_the_readers_language() -> None:
    with translation.override("zh-hans"):
        assert [CARRIERS[code].label for code in ("sf", "jd", "ems", "other")] == [
            "顺丰速运",
            "京东物流",
            "EMS / 中国邮政",
            "其他物流公司",
        ]
    with translation.override("de"):
        assert CARRIERS[OTHER].label == "Anderer Versanddienstleister"


# --- shipping an order: the API and the order page ------------------------------------------


@pytest.fixture
def order(buyer_x: Person, supplier_a: Person, category: Category) -> Order:
    assert buyer_x.actor
    assert supplier_a.actor
    product = make_product(supplier_a.actor, category, skus=[sku("BOWL", stock=50)])
    return paid_order(buyer_x.actor, [(sku_of(product), 10)])


def state(order: Order) -> tuple[str, int, int, int]:
    order.refresh_from_db()
    line = order.lines.get()
    events = OrderEvent.objects.filter(order=order).count()
    return order.status, line.shipped_quantity, Shipment.objects.filter(order=order).count(), events


def ship_page(order: Order, person: Person, **fields: str) -> Any:
    data = {f"ship-{name}": value for name, value in fields.items()}
    data[f"ship-line_{order.lines.get().pk}"] = "10"
    return person.client.post(f"/orders/{order.pk}/ship/", data)


def shipment_on(page: Any) -> tuple[str, str | None]:
    """The carrier's name and the tracking link's address in the order page's shipment list."""
    html = page.content.decode()
    name = re.search(r'data-testid="shipment-carrier">([^<]*)<', html)
    link = re.search(r'<a href="([^"]*)"[^>]*data-testid="tracking-link"', html)
    assert name is not None
    return unescape(name.group(1)), unescape(link.group(1)) if link else None


def test_the_api_ships_with_a_listed_carrier_and_answers_its_tracking_link(
    order: Order, supplier_a: Person, buyer_x: Person
) -> None:
    response = supplier_a.api(
        "POST",
        f"{ORDERS}/{order.pk}/ship",
        {"carrier_code": "sf", "tracking_number": "sf 1234567890123"},
    )
    assert response.status_code == 200
    expected = {
        "carrier_code": "sf",
        "carrier": "SF Express",
        "carrier_name": "SF Express",
        "tracking_number": "SF1234567890123",
        "tracking_url": f"{SF_PAGE}SF1234567890123",
    }
    (shipment,) = response.json()["shipments"]
    assert {key: shipment[key] for key in expected} == expected
    (seen,) = buyer_x.api("GET", f"{ORDERS}/{order.pk}").json()["shipments"]
    assert {key: seen[key] for key in expected} == expected
    assert response.json()["events"][-1]["reason"] == "SF Express SF1234567890123"


def test_the_api_ships_with_another_carrier_by_its_typed_name(
    order: Order, supplier_a: Person
) -> None:
    response = supplier_a.api(
        "POST",
        f"{ORDERS}/{order.pk}/ship",
        {"carrier_code": "other", "carrier": "Yiwu Freight", "tracking_number": "YW-0001"},
    )
    assert response.status_code == 200
    (shipment,) = response.json()["shipments"]
    assert (shipment["carrier_code"], shipment["carrier_name"], shipment["tracking_url"]) == (
        "other",
        "Yiwu Freight",
        None,
    )


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"carrier_code": "pigeon", "tracking_number": "AB1234"},
            "carrier_code",
            "Unknown carrier “pigeon”: choose one from the list, or “other” and type the "
            "carrier's name.",
        ),
        (
            {"carrier_code": "other", "tracking_number": "AB1234"},
            "carrier",
            "Name the carrier (up to 60 characters).",
        ),
        ({"carrier_code": "zto", "tracking_number": "73#1"}, "tracking_number", LOOSE_HINT),
        ({"carrier_code": "sf", "tracking_number": "SF12"}, "tracking_number", SF_NUMBER_HINT),
    ],
)
def test_the_api_refuses_a_bad_carrier_or_number_and_nothing_ships(
    order: Order, supplier_a: Person, body: dict[str, str], field: str, message: str
) -> None:
    before = state(order)
    response = supplier_a.api("POST", f"{ORDERS}/{order.pk}/ship", body)
    assert response.status_code == 422
    assert (response.json()["field"], response.json()["message"]) == (field, message)
    assert state(order) == before


def test_the_buyers_order_page_links_the_carriers_tracking_page(
    order: Order, supplier_a: Person, buyer_x: Person
) -> None:
    response = ship_page(order, supplier_a, carrier_code="sf", tracking_number="SF1234567890123")
    assert response.status_code == 302
    page = buyer_x.client.get(f"/orders/{order.pk}/")
    assert shipment_on(page) == ("SF Express", f"{SF_PAGE}SF1234567890123")


def test_the_order_page_shows_another_carriers_typed_name_without_a_link(
    order: Order, supplier_a: Person, buyer_x: Person
) -> None:
    response = ship_page(
        order, supplier_a, carrier_code="other", carrier="Yiwu Freight", tracking_number="YW-1"
    )
    assert response.status_code == 302
    assert shipment_on(buyer_x.client.get(f"/orders/{order.pk}/")) == ("Yiwu Freight", None)


def test_the_ship_form_offers_the_carrier_list(order: Order, supplier_a: Person) -> None:
    html = supplier_a.client.get(f"/orders/{order.pk}/").content.decode()
    select = re.search(r'<select name="ship-carrier_code".*?</select>', html, re.DOTALL)
    assert select is not None
    assert re.findall(r'<option value="([^"]*)"', select.group(0)) == ["", *CARRIERS]


def test_an_unknown_carrier_on_the_page_is_refused_next_to_the_field(
    order: Order, supplier_a: Person
) -> None:
    before = state(order)
    response = ship_page(order, supplier_a, carrier_code="pigeon", tracking_number="AB1234")
    assert response.status_code == 422
    assert "Unknown carrier “pigeon”" in unescape(response.content.decode())
    assert state(order) == before


def test_a_shipment_named_in_free_text_still_shows_as_recorded(
    order: Order, supplier_a: Person, buyer_x: Person
) -> None:
    assert supplier_a.actor
    services.order_ship(
        actor=supplier_a.actor, order_id=order.pk, carrier="顺丰 SF", tracking_number="SF1"
    )
    assert Shipment.objects.get(order=order).carrier_code == ""
    assert shipment_on(buyer_x.client.get(f"/orders/{order.pk}/")) == ("顺丰 SF", None)
