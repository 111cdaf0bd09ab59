import pytest

from huoyuan.catalogue.contracts import PriceBreak
from huoyuan.catalogue.errors import LadderInvalid
from huoyuan.catalogue.pricing import ladder_validate, price_for_quantity

LADDER = [PriceBreak(2, 1250), PriceBreak(100, 1100), PriceBreak(1000, 980)]


@pytest.mark.parametrize(
    ("quantity", "unit", "next_qty", "to_next"),
    [(2, 1250, 100, 98), (99, 1250, 100, 1), (100, 1100, 1000, 900), (5000, 980, None, None)],
)
def test_quantity_picks_the_highest_break_reached(quantity, unit, next_qty, to_next):
    quote = price_for_quantity(LADDER, quantity)
    assert quote is not None
    assert quote.unit_price_minor == unit
    assert quote.total_minor == unit * quantity
    assert (quote.next_break.min_quantity if quote.next_break else None) == next_qty
    assert quote.units_to_next_break == to_next


def test_quantity_below_first_break_has_no_price():
    assert price_for_quantity(LADDER, 1) is None


def test_accepts_a_valid_ladder():
    ladder_validate(LADDER, moq=2)


@pytest.mark.parametrize(
    ("ladder", "moq", "fragment"),
    [
        ([PriceBreak(2, 1000), PriceBreak(10, 1100)], 2, "cannot cost more"),
        ([PriceBreak(2, 1000), PriceBreak(2, 900)], 2, "more units"),
        ([PriceBreak(10, 1000), PriceBreak(5, 900)], 10, "more units"),
        ([PriceBreak(5, 1000)], 2, "must not be above the MOQ"),
        ([], 1, "at least one"),
        ([PriceBreak(1, -5)], 1, "negative"),
    ],
)
def test_rejects_a_bad_ladder(ladder, moq, fragment):
    with pytest.raises(LadderInvalid) as caught:
        ladder_validate(ladder, moq=moq)
    assert fragment in str(caught.value.message)
