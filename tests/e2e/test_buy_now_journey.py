"""Buy now (立即订购) in a real browser: from the product page straight to an order and payment.

The buyer prices 120 bowls on the product page, clicks "Buy now", reviews the price with an address
from the address book and a note, places the order and pays on the sandbox provider's page; the
signed webhooks come back over real HTTP and the order shows as paid. The cart is never touched.
Screenshots go to test-artifacts/e2e/.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from huoyuan.catalogue.models import Category
from huoyuan.catalogue.tests.factories import make_product, sku
from huoyuan.orders.models import CartLine, Order
from huoyuan.orders.tests.factories import address_for
from tests.e2e.test_trade_journey import (
    WEBHOOK_PATH,
    _assert_no_browser_problems,
    _log_in,
    _type_quantity,
    webhook_requests,
)

if TYPE_CHECKING:
    from conftest import Person
    from tests.e2e.conftest import BrowserProblems

pytestmark = pytest.mark.e2e
__all__ = ["webhook_requests"]  # the fixture, imported for this module's test

BOWL = "Wine-red ceramic bowl"
NOTE = "Gift boxes, please."


def test_buyer_buys_one_sku_now_and_pays(
    new_visitor: Callable[..., Page],
    screenshot: Callable[[Page, str], Path],
    browser_problems: BrowserProblems,
    webhook_requests: list[str],
    category: Category,
    supplier_a: Person,
    buyer_x: Person,
) -> None:
    assert supplier_a.actor
    assert buyer_x.actor
    bowl = make_product(
        supplier_a.actor,
        category,
        title_en=BOWL,
        skus=[sku("BOWL-RED", stock=3000, attributes={"colour": "Red"})],
    )
    address_for(buyer_x.actor, recipient="王小明", is_default=True)

    buyer = new_visitor(locale="en")
    _log_in(buyer, buyer_x, f"/p/{bowl.pk}/")
    _type_quantity(buyer.locator("#quantity"), 120)
    expect(buyer.locator("#quote [data-testid=unit-price]")).to_have_text("¥11.00")
    screenshot(buyer, "product-120")
    buyer.locator("[data-testid=buy-now]").click()

    # --- the review: the price for 120, the default address, a note ---------------------------
    expect(buyer).to_have_url(re.compile(r"/checkout/buy-now/$"))
    expect(buyer.locator("main h1")).to_have_text("Buy now")
    expect(buyer.locator("[data-testid=line-BOWL-RED] [data-testid=unit-price]")).to_have_text(
        "¥11.00"
    )
    expect(buyer.locator("[data-testid=total]")).to_have_text("¥1,320.00")
    expect(buyer.locator("input[name=address]")).to_be_checked()
    buyer.locator("textarea").fill(NOTE)
    screenshot(buyer, "buy-now-review")
    buyer.locator("[data-testid=place]").click()

    # --- paying on the sandbox provider's page ------------------------------------------------
    expect(buyer).to_have_url(re.compile(r"/pay/sandbox/[^/]+/$"))
    expect(buyer.locator("main h1")).to_have_text("Pay ¥1,320.00")
    order = Order.objects.get()
    assert (order.total_minor, order.note, order.address["recipient"]) == (132_000, NOTE, "王小明")
    buyer.get_by_role("button", name="Pay now").click()
    expect(buyer).to_have_url(re.compile(r"/orders/$"))
    assert webhook_requests == [f"POST {WEBHOOK_PATH}"] * 2
    row = buyer.locator(f"[data-testid=order-{order.number}]")
    expect(row.locator(".status")).to_have_text("Paid, to ship")
    screenshot(buyer, "buy-now-paid")
    assert CartLine.objects.count() == 0
    _assert_no_browser_problems(browser_problems, buyer)
