"""The price policy: which ladder break a quantity falls in, and what the ladder may look like."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from huoyuan.catalogue.contracts import PriceBreak, PriceQuote
from huoyuan.catalogue.errors import LadderInvalid

MAX_BREAKS = 10
MAX_BREAK_QUANTITY = 10_000_000  # as the API schema: beyond it the column overflows on PostgreSQL


def ladder_validate(ladder: Sequence[PriceBreak], *, moq: int, field: str = "ladder") -> None:
    """Strictly increasing quantities, non-increasing prices, the first break at or below MOQ."""
    if not ladder:
        raise LadderInvalid(_("Give at least one price break."), field=field)
    if len(ladder) > MAX_BREAKS:
        raise LadderInvalid(
            _("A ladder has at most %(n)s breaks.") % {"n": MAX_BREAKS}, field=field
        )
    for index, tier in enumerate(ladder):
        if tier.min_quantity < 1:
            raise LadderInvalid(_("Break quantities start at 1."), field=f"{field}.{index}")
        if tier.min_quantity > MAX_BREAK_QUANTITY:
            raise LadderInvalid(
                _("Break quantities go up to %(n)s.") % {"n": MAX_BREAK_QUANTITY},
                field=f"{field}.{index}",
            )
        if tier.unit_price_minor < 0:
            raise LadderInvalid(_("A price cannot be negative."), field=f"{field}.{index}")
        if index:
            previous = ladder[index - 1]
            if tier.min_quantity <= previous.min_quantity:
                raise LadderInvalid(
                    _("Each break must be for more units than the one before."),
                    field=f"{field}.{index}",
                )
            if tier.unit_price_minor > previous.unit_price_minor:
                raise LadderInvalid(
                    _("A larger quantity cannot cost more per unit than a smaller one."),
                    field=f"{field}.{index}",
                )
    if ladder[0].min_quantity > moq:
        raise LadderInvalid(
            _("The first break (%(first)s) must not be above the MOQ (%(moq)s).")
            % {"first": ladder[0].min_quantity, "moq": moq},
            field=field,
        )


def price_for_quantity(ladder: Sequence[PriceBreak], quantity: int) -> PriceQuote | None:
    """The break that applies to ``quantity`` (None below the first break)."""
    applied: PriceBreak | None = None
    next_break: PriceBreak | None = None
    for tier in sorted(ladder, key=lambda t: t.min_quantity):
        if tier.min_quantity <= quantity:
            applied = tier
        else:
            next_break = tier
            break
    if applied is None:
        return None
    return PriceQuote(
        quantity=quantity,
        unit_price_minor=applied.unit_price_minor,
        total_minor=applied.unit_price_minor * quantity,
        applied=applied,
        next_break=next_break,
        units_to_next_break=(next_break.min_quantity - quantity) if next_break else None,
    )
