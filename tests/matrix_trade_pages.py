"""Authorization matrix rows for the trade loop's pages (see tests/matrix.py)."""

from __future__ import annotations

from tests.matrix import LOGIN, Row, buyer_x_page, expect, page, signed_in

# fmt: off
TRADE_PAGE_ROWS: list[Row] = [
    page("GET", "orders:list", signed_in(200)),
    page("GET", "orders:detail", expect(404, anonymous=LOGIN, buyer_x=200, supplier_a=200,
                                        operator=200), "order_paid"),
    page("GET", "payments:sandbox_confirm", buyer_x_page(200), "payment_pending"),
    page("GET", "payments:bank_transfer", buyer_x_page(200), "payment_bank"),
]
# fmt: on
