"""Authorization matrix rows for the trade loop's JSON API (see tests/matrix.py)."""

from __future__ import annotations

from tests.matrix import Row

# fmt: off
TRADE_API_ROWS: list[Row] = [
]
# fmt: on
