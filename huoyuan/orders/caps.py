"""Fair reservations: the share of one SKU's stock a buyer may hold in unpaid orders.

The cart and the buy-now quote show these problems on the lines, in the words checkout uses
when it refuses (checkout also caps the number of unpaid orders).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from django.db.models import Sum
from django.utils.translation import ngettext

from huoyuan.accounts.contracts import Actor
from huoyuan.orders.contracts import OrderStatus
from huoyuan.orders.lifecycle import trade_settings
from huoyuan.orders.models import OrderLine

if TYPE_CHECKING:
    from huoyuan.orders.cart import CartQuote, QuoteLine


def held_unpaid(*, buyer_id: int, sku_ids: list[int]) -> dict[int, int]:
    """Units of each SKU the buyer already holds in unpaid orders (one query)."""
    return dict(
        OrderLine.objects.filter(
            order__buyer_id=buyer_id,
            order__status=OrderStatus.PENDING_PAYMENT,
            sku_id__in=sku_ids,
        )
        .values("sku_id")
        .annotate(units=Sum("quantity"))
        .values_list("sku_id", "units")
    )


def share_cap_problems(
    quote: CartQuote, *, held: dict[int, int], levels: dict[int, tuple[int, int]], share: int
) -> list[tuple[QuoteLine, str]]:
    """Lines that would let one buyer hold more than ``share`` % of a SKU's stock unpaid."""
    if share >= 100:
        return []
    wanted: dict[int, int] = defaultdict(int)
    for line in quote.lines:
        wanted[line.sku_id] += line.quantity
    found = []
    for line in quote.lines:
        stock, reserved = levels.get(line.sku_id, (0, 0))
        if wanted[line.sku_id] > stock:
            continue  # "only N in stock" already says what to do
        cap = max(1, (stock + reserved) * share // 100)
        if held.get(line.sku_id, 0) + wanted[line.sku_id] > cap:
            message = ngettext(
                "%(code)s: one buyer may hold at most %(cap)s unit of it unpaid "
                "(%(share)s%% of its stock). Pay your open orders first or order fewer.",
                "%(code)s: one buyer may hold at most %(cap)s units of it unpaid "
                "(%(share)s%% of its stock). Pay your open orders first or order fewer.",
                cap,
            ) % {"code": line.sku_code, "cap": cap, "share": share}
            found.append((line, message))
    return found


def show_caps(actor: Actor, quote: CartQuote) -> CartQuote:
    """Mark the lines the fair-reservation cap would refuse, in checkout's words (two queries)."""
    if quote.groups:
        sku_ids = sorted({line.sku_id for line in quote.lines})
        problems = share_cap_problems(
            quote,
            held=held_unpaid(buyer_id=actor.organization_id, sku_ids=sku_ids),
            levels={line.sku_id: (line.stock, line.reserved) for line in quote.lines},
            share=trade_settings().max_unpaid_share_percent,
        )
        for line, message in problems:
            line.problems.append(message)
    return quote
