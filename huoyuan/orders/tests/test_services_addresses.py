"""The buyer's address book: one default, clean fields, 50 at most, walled per organization."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from huoyuan.orders import services
from huoyuan.orders.addresses import MAX_ADDRESSES
from huoyuan.orders.errors import BuyersOnly, NotFound, ValidationFailed
from huoyuan.orders.models import Address

if TYPE_CHECKING:
    from conftest import Person
    from huoyuan.accounts.contracts import Actor

pytestmark = pytest.mark.django_db


def data(**overrides: Any) -> services.AddressInput:
    values: dict[str, Any] = {
        "recipient": "王小明",
        "phone": "+86 138 0000 0000",
        "city": "杭州",
        "street": "文三路 100 号",
    }
    values.update(overrides)
    return services.AddressInput(**values)


def book(actor: Actor) -> list[tuple[str, bool]]:
    return list(
        Address.objects.filter(buyer_id=actor.organization_id)
        .order_by("pk")
        .values_list("label", "is_default")
    )


def everything() -> list[tuple[Any, ...]]:
    return list(Address.objects.order_by("pk").values_list())


@pytest.fixture
def buyer(buyer_x: Person) -> Actor:
    assert buyer_x.actor
    return buyer_x.actor


def test_the_first_address_is_the_default_and_a_new_default_takes_over(buyer: Actor) -> None:
    home = services.address_create(actor=buyer, data=data(label="Home"))
    services.address_create(actor=buyer, data=data(label="Shop"))
    assert book(buyer) == [("Home", True), ("Shop", False)]

    services.address_create(actor=buyer, data=data(label="Warehouse", is_default=True))
    assert book(buyer) == [("Home", False), ("Shop", False), ("Warehouse", True)]

    # Unticking "default" on the default keeps it: pick another address to move it.
    warehouse = Address.objects.get(label="Warehouse")
    services.address_update(
        actor=buyer, address_id=warehouse.pk, data=data(label="Warehouse", is_default=False)
    )
    assert book(buyer) == [("Home", False), ("Shop", False), ("Warehouse", True)]

    services.address_update(
        actor=buyer, address_id=home.pk, data=data(label="Home", is_default=True)
    )
    assert book(buyer) == [("Home", True), ("Shop", False), ("Warehouse", False)]


def test_fields_are_cleaned_and_saved(buyer: Actor) -> None:
    address = services.address_create(
        actor=buyer,
        data=data(
            recipient="  Anna Schmidt ",
            phone=" +49 (30) 1234-567 ",
            country="de",
            province="Berlin",
            city="Berlin",
            district="Mitte",
            street="Invalidenstraße 1",
            postal_code="10115",
            label="Office",
        ),
    )

    assert address.snapshot() == {
        "recipient": "Anna Schmidt",
        "phone": "+49 (30) 1234-567",
        "country": "DE",
        "province": "Berlin",
        "city": "Berlin",
        "district": "Mitte",
        "street": "Invalidenstraße 1",
        "postal_code": "10115",
    }


def test_deleting_the_default_makes_the_newest_remaining_one_default(buyer: Actor) -> None:
    home = services.address_create(actor=buyer, data=data(label="Home"))
    services.address_create(actor=buyer, data=data(label="Shop"))
    services.address_create(actor=buyer, data=data(label="Warehouse"))

    services.address_delete(actor=buyer, address_id=home.pk)

    assert book(buyer) == [("Shop", False), ("Warehouse", True)]
    services.address_delete(actor=buyer, address_id=Address.objects.get(label="Shop").pk)
    assert book(buyer) == [("Warehouse", True)]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"recipient": "  "}, "recipient", "This field is required."),
        ({"phone": ""}, "phone", "This field is required."),
        ({"city": ""}, "city", "This field is required."),
        ({"street": " "}, "street", "This field is required."),
        ({"recipient": "x" * 81}, "recipient", "Use at most 80 characters."),
        ({"street": "x" * 201}, "street", "Use at most 200 characters."),
        ({"postal_code": "1" * 17}, "postal_code", "Use at most 16 characters."),
        ({"label": "x" * 41}, "label", "Use at most 40 characters."),
        ({"country": "CHN"}, "country", "Use at most 2 characters."),
        ({"country": "1A"}, "country", "Use a two-letter country code such as CN or DE."),
        ({"country": "中国"}, "country", "Use a two-letter country code such as CN or DE."),
        ({"phone": "call me"}, "phone", "Enter a phone number (digits, spaces, + - ( ))."),
        ({"phone": "+-()"}, "phone", "Enter a phone number (digits, spaces, + - ( ))."),
        ({"phone": "138 0000 x1"}, "phone", "Enter a phone number (digits, spaces, + - ( ))."),
    ],
)
def test_a_bad_address_is_refused_and_nothing_is_saved(
    buyer: Actor, overrides: dict[str, Any], field: str, message: str
) -> None:
    existing = services.address_create(actor=buyer, data=data(label="Home"))
    before = everything()

    with pytest.raises(ValidationFailed) as caught:
        services.address_create(actor=buyer, data=data(**overrides))
    assert (caught.value.field, str(caught.value.message)) == (field, message)
    with pytest.raises(ValidationFailed):
        services.address_update(actor=buyer, address_id=existing.pk, data=data(**overrides))

    assert everything() == before


def test_an_address_book_holds_at_most_50(buyer: Actor) -> None:
    Address.objects.bulk_create(
        Address(buyer_id=buyer.organization_id, recipient="R", phone="1", city="C", street="S")
        for _n in range(MAX_ADDRESSES)
    )

    with pytest.raises(ValidationFailed) as caught:
        services.address_create(actor=buyer, data=data())

    assert str(caught.value.message) == "An address book holds at most 50 addresses."
    assert Address.objects.filter(buyer_id=buyer.organization_id).count() == MAX_ADDRESSES


def test_another_buyers_address_is_not_found_and_unchanged(buyer: Actor, buyer_y: Person) -> None:
    assert buyer_y.actor
    theirs = services.address_create(actor=buyer_y.actor, data=data(label="Theirs"))
    before = everything()

    with pytest.raises(NotFound):
        services.address_update(actor=buyer, address_id=theirs.pk, data=data(label="Mine now"))
    with pytest.raises(NotFound):
        services.address_delete(actor=buyer, address_id=theirs.pk)

    assert everything() == before
    # Making one's own address the default leaves the other buyer's default alone.
    services.address_create(actor=buyer, data=data(label="Mine", is_default=True))
    assert book(buyer_y.actor) == [("Theirs", True)]


@pytest.mark.parametrize("who", ["supplier_a", "operator"])
def test_only_buyers_keep_an_address_book(who: str, cast: dict[str, Person], buyer: Actor) -> None:
    actor = cast[who].actor
    assert actor
    mine = services.address_create(actor=buyer, data=data())
    before = everything()

    with pytest.raises(BuyersOnly):
        services.address_create(actor=actor, data=data())
    with pytest.raises(BuyersOnly):
        services.address_update(actor=actor, address_id=mine.pk, data=data())
    with pytest.raises(BuyersOnly):
        services.address_delete(actor=actor, address_id=mine.pk)

    assert everything() == before
