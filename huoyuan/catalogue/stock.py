"""Stock moves for the trade loop: reserve, release, consume. Part of the public surface.

Every move is one conditional ``UPDATE`` over all SKUs involved, after locking their rows in
primary-key order (PostgreSQL: no deadlock between two checkouts that share SKUs; SQLite takes the
write lock at ``BEGIN IMMEDIATE``). A reservation that finds too little stock for any SKU changes
nothing and says which SKUs ran short. Callers own the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.db import transaction
from django.db.models import Case, F, Field, Q, Value, When
from django.utils.translation import gettext as _

from huoyuan.catalogue.errors import Conflict
from huoyuan.catalogue.models import Product, Sku


class OutOfStock(Conflict):
    code = "out_of_stock"

    def __init__(self, short: dict[int, int]) -> None:
        self.short = short  # sku id -> units still available
        super().__init__(_("Some items no longer have enough stock."), field="quantity")


class StockInvariantBroken(RuntimeError):
    """Releasing or consuming more than was reserved: a bug, never the user's doing."""


def _lock(ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """Lock the rows in primary-key order; pk -> (stock, reserved, product id) as locked."""
    rows = Sku.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {
        pk: (stock, reserved, product_id)
        for pk, stock, reserved, product_id in rows.values_list(
            "pk", "stock", "reserved", "product_id"
        )
    }


def _move(
    quantities: Mapping[int, int],
    *,
    guard: str,
    changes: dict[str, int],
) -> int:
    """UPDATE every SKU in one statement: each field += sign * its quantity, where guard >= qty."""
    ids = sorted(quantities)
    condition = Q()
    for pk in ids:
        condition |= Q(pk=pk, **{f"{guard}__gte": quantities[pk]})
    updates = {
        name: Case(
            *[When(pk=pk, then=F(name) + Value(sign * quantities[pk])) for pk in ids],
            default=F(name),
            output_field=cast("Field[Any, Any]", Sku._meta.get_field(name)),
        )
        for name, sign in changes.items()
    }
    return Sku.objects.filter(condition).update(**updates)


def _refresh_totals(locked: Mapping[int, tuple[int, int, int]], deltas: Mapping[int, int]) -> None:
    """Move each product's ``stock_total`` by what its SKUs' stock moved (sku id -> change).

    An increment, not a fresh SUM: on PostgreSQL a SUM taken in this statement's snapshot misses a
    concurrent move of a sibling SKU committed meanwhile, and the total drifted for good
    (tests/test_oversell.py). ``stock_total + delta`` is re-read on the row this UPDATE waited for.
    The products come from the locked SKU rows, so this is one plain UPDATE.
    """
    by_product: dict[int, int] = {}
    for pk, delta in deltas.items():
        product_id = locked[pk][2]
        by_product[product_id] = by_product.get(product_id, 0) + delta
    moved = {pk: delta for pk, delta in by_product.items() if delta}
    if not moved:
        return
    if len(moved) == 1:
        ((product_id, delta),) = moved.items()
        Product.objects.filter(pk=product_id).update(stock_total=F("stock_total") + delta)
        return
    Product.objects.filter(pk__in=sorted(moved)).update(
        stock_total=F("stock_total")
        + Case(
            *[When(pk=pk, then=Value(delta)) for pk, delta in sorted(moved.items())],
            default=Value(0),
            output_field=cast("Field[Any, Any]", Product._meta.get_field("stock_total")),
        )
    )


def _check(quantities: Mapping[int, int]) -> dict[int, int]:
    clean = {int(pk): int(q) for pk, q in quantities.items() if q}
    if any(q < 0 for q in clean.values()):
        raise ValueError("stock moves take positive quantities")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("stock moves must run inside transaction.atomic()")
    return clean


def stock_reserve(*, quantities: Mapping[int, int]) -> None:
    """Move units from available stock to reserved, all or nothing."""
    wanted = _check(quantities)
    if not wanted:
        return
    ids = sorted(wanted)
    locked = _lock(ids)
    available = {pk: locked[pk][0] if pk in locked else 0 for pk in ids}  # deleted: none left
    short = {pk: units for pk, units in available.items() if units < wanted[pk]}
    if short:
        raise OutOfStock(short)
    # The rows are locked, so the guard cannot fail; it stays as a second line of defence.
    if _move(wanted, guard="stock", changes={"stock": -1, "reserved": 1}) != len(ids):
        raise StockInvariantBroken(f"stock moved under a lock: {wanted}")
    _refresh_totals(locked, {pk: -q for pk, q in wanted.items()})


def _present(wanted: dict[int, int]) -> tuple[dict[int, int], dict[int, tuple[int, int, int]]]:
    locked = _lock(sorted(wanted))
    present = {pk: q for pk, q in wanted.items() if pk in locked}  # deleted SKUs: nothing to move
    # Checked under the lock before any write, so a bad move changes no SKU at all (the guarded
    # UPDATE alone would move the SKUs that pass and only then raise).
    beyond = {pk: q for pk, q in present.items() if locked[pk][1] < q}
    if beyond:
        raise StockInvariantBroken(f"move beyond reservation: {beyond}")
    return present, locked


def stock_release(*, quantities: Mapping[int, int]) -> None:
    """Units of an expired or cancelled order go back to available stock."""
    wanted = _check(quantities)
    if not wanted:
        return
    wanted, locked = _present(wanted)
    if wanted and _move(wanted, guard="reserved", changes={"stock": 1, "reserved": -1}) != len(
        wanted
    ):
        raise StockInvariantBroken(f"release beyond reservation: {wanted}")
    _refresh_totals(locked, wanted)


def stock_consume(*, quantities: Mapping[int, int]) -> None:
    """Shipped units leave the reservation for good."""
    wanted = _check(quantities)
    if not wanted:
        return
    wanted, _locked = _present(wanted)
    if wanted and _move(wanted, guard="reserved", changes={"reserved": -1, "sold": 1}) != len(
        wanted
    ):
        raise StockInvariantBroken(f"consume beyond reservation: {wanted}")
