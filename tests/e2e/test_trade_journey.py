"""The trade loop in a real browser, from the cart to the review.

A buyer fills a cart from two suppliers and watches the price ladder move with the quantity (on the
product page and in the cart), checks out with an address from the address book and a note per
supplier, and pays on the sandbox provider's hosted page; the provider's signed webhooks come back
over real HTTP to the live server. Supplier A ships in one go, supplier B in two partial shipments;
the buyer confirms one order and the trade clock auto-confirms the other; both suppliers read their
balance (released amount minus the 3 % commission) and the buyer's review shows on the storefront.
Screenshots of every step go to test-artifacts/e2e/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core.signals import request_started
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from huoyuan.accounts.tests.factories import PASSWORD
from huoyuan.catalogue.models import Category, Product, Sku
from huoyuan.catalogue.tests.factories import make_product, sku
from huoyuan.ledger.selectors import ledger_check
from huoyuan.orders import services as orders
from huoyuan.orders.contracts import OrderStatus
from huoyuan.orders.models import Order
from huoyuan.payments.models import WebhookEvent

if TYPE_CHECKING:
    from conftest import Person
    from tests.e2e.conftest import BrowserProblems

pytestmark = pytest.mark.e2e

WEBHOOK_PATH = "/api/payments/webhooks/sandbox"
BOWL = "Wine-red ceramic bowl"
CUP = "Celadon tea cup"
CUP_LADDER = [(10, 500), (100, 450), (500, 400)]
NOTE_A = "Please wrap each bowl in bubble film."
NOTE_B = "Two cartons at most, please."


@pytest.fixture
def webhook_requests(settings: Any, live_server: Any) -> Iterator[list[str]]:
    """The sandbox delivers over HTTP to the live server; the paths it reached are recorded."""
    settings.SANDBOX_WEBHOOK_URL = live_server.url + WEBHOOK_PATH
    seen: list[str] = []

    def record(sender: Any, environ: dict[str, Any], **kwargs: Any) -> None:
        if environ.get("PATH_INFO") == WEBHOOK_PATH:
            seen.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")

    request_started.connect(record, dispatch_uid="trade-journey-webhooks")
    yield seen
    request_started.disconnect(dispatch_uid="trade-journey-webhooks")


def _log_in(page: Page, person: Person, target: str) -> None:
    assert person.user is not None
    page.goto(f"/accounts/login/?next={target}")
    page.fill("#id_username", person.user.email)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(target) + "$"))


def _type_quantity(box: Locator, quantity: int) -> None:
    box.fill("")
    box.press_sequentially(str(quantity))


def _order_of(supplier: Person) -> Order:
    return Order.objects.get(supplier=supplier.organization)


def _assert_no_browser_problems(problems: BrowserProblems, *pages: Page) -> None:
    for page in pages:
        problems.collect_from(page)
    assert problems.as_dict() == {
        "console_errors": [],
        "csp_violations": [],
        "page_errors": [],
        "server_errors": [],
    }, json.dumps(problems.as_dict(), indent=1, ensure_ascii=False)


def test_buyer_orders_from_two_suppliers_pays_and_both_get_paid(
    new_visitor: Callable[..., Page],
    screenshot: Callable[[Page, str], Path],
    browser_problems: BrowserProblems,
    webhook_requests: list[str],
    category: Category,
    supplier_a: Person,
    supplier_b: Person,
    buyer_x: Person,
) -> None:
    assert supplier_a.actor
    assert supplier_b.actor
    bowl: Product = make_product(
        supplier_a.actor,
        category,
        title_zh_hans="酒红陶瓷碗",
        title_en=BOWL,
        skus=[sku("BOWL-RED", stock=3000, attributes={"colour": "Red"})],
    )
    cup: Product = make_product(
        supplier_b.actor,
        category,
        title_zh_hans="青瓷茶杯",
        title_en=CUP,
        skus=[sku("CUP-GREEN", ladder=CUP_LADDER, stock=800, attributes={"colour": "Green"})],
    )

    # --- the buyer prices the bowl on its product page: the ladder moves at 100 ------------------
    buyer = new_visitor(locale="en")
    _log_in(buyer, buyer_x, f"/p/{bowl.pk}/")
    quote = buyer.locator("#quote [data-testid=quote]")
    unit = buyer.locator("#quote [data-testid=unit-price]")
    quantity = buyer.locator("#quantity")
    _type_quantity(quantity, 99)
    expect(buyer).to_have_url(re.compile(r"quantity=99$"))
    expect(unit).to_have_text("¥12.50")
    expect(buyer.locator("#quote [data-testid=total]")).to_have_text("¥1,237.50")
    expect(quote.locator("p.muted").first).to_have_text(
        "Add 1 more to reach the 100+ price: ¥11.00"
    )
    screenshot(buyer, "bowl-99")
    _type_quantity(quantity, 100)
    expect(buyer).to_have_url(re.compile(r"quantity=100$"))
    expect(unit).to_have_text("¥11.00")
    expect(buyer.locator("#quote [data-testid=total]")).to_have_text("¥1,100.00")
    expect(quote.locator("p.muted").first).to_have_text(
        "Add 900 more to reach the 1000+ price: ¥9.80"
    )
    expect(buyer.locator("table.ladder tr.applied td").first).to_have_text("≥ 100")
    screenshot(buyer, "bowl-100")
    # ... and puts 99 in the cart: the cart is where it crosses the break
    _type_quantity(quantity, 99)
    expect(unit).to_have_text("¥12.50")
    buyer.locator("[data-testid=add-to-cart]").click()
    expect(buyer.locator("ul.messages li.success")).to_have_text(
        f"Added 99 × {BOWL} (Red) to your cart."
    )

    # --- and 120 tea cups from supplier B ----------------------------------------------------
    buyer.goto(f"/p/{cup.pk}/")
    _type_quantity(buyer.locator("#quantity"), 120)
    expect(buyer.locator("#quote [data-testid=unit-price]")).to_have_text("¥4.50")
    expect(buyer.locator("#quote [data-testid=total]")).to_have_text("¥540.00")
    buyer.locator("[data-testid=add-to-cart]").click()
    expect(buyer.locator("ul.messages li.success")).to_have_text(
        f"Added 120 × {CUP} (Green) to your cart."
    )
    expect(buyer.locator("[data-testid=cart-count]")).to_have_text("2")

    # --- the cart: 99 bowls at ¥12.50, one more reaches ¥11.00 --------------------------------
    buyer.locator("#trade-nav a[href='/cart/']").click()
    expect(buyer).to_have_url(re.compile(r"/cart/$"))
    bowl_line = buyer.locator("[data-testid=line-BOWL-RED]")
    cup_line = buyer.locator("[data-testid=line-CUP-GREEN]")
    expect(bowl_line.locator("[data-testid=unit-price]")).to_have_text("¥12.50")
    expect(bowl_line.locator("[data-testid=next-break]")).to_have_text("1 more for ¥11.00 each")
    expect(bowl_line.locator("[data-testid=line-total]")).to_have_text("¥1,237.50")
    expect(cup_line.locator("[data-testid=unit-price]")).to_have_text("¥4.50")
    expect(cup_line.locator("[data-testid=next-break]")).to_have_text("380 more for ¥4.00 each")
    expect(buyer.locator("[data-testid=cart-total]")).to_have_text("¥1,777.50")
    screenshot(buyer, "cart-99")
    _type_quantity(bowl_line.locator("input[name=quantity]"), 100)
    expect(bowl_line.locator("[data-testid=unit-price]")).to_have_text("¥11.00")
    expect(bowl_line.locator("[data-testid=applied-break]")).to_have_text("the 100+ price")
    expect(bowl_line.locator("[data-testid=next-break]")).to_have_text("900 more for ¥9.80 each")
    expect(bowl_line.locator("[data-testid=line-total]")).to_have_text("¥1,100.00")
    expect(buyer.locator("[data-testid=cart-total]")).to_have_text("¥1,640.00")
    screenshot(buyer, "cart-100")

    # --- checkout: an address from the address book, a note per supplier ---------------------
    buyer.locator("[data-testid=checkout]").click()
    expect(buyer).to_have_url(re.compile(r"/checkout/$"))
    expect(buyer.locator("[data-testid=no-address]")).to_be_visible()
    buyer.get_by_role("link", name="Add an address").click()
    expect(buyer).to_have_url(re.compile(r"/addresses/\?next=/checkout/#add$"))
    buyer.fill("#id_recipient", "王小明")
    buyer.fill("#id_phone", "+86 138 0000 0000")
    buyer.fill("#id_province", "浙江")
    buyer.fill("#id_city", "杭州")
    buyer.fill("#id_street", "文三路 100 号")
    screenshot(buyer, "address")
    buyer.get_by_role("button", name="Save address").click()
    expect(buyer).to_have_url(re.compile(r"/checkout/$"))
    address = buyer.locator("input[name=address]")
    expect(address).to_have_count(1)
    expect(address).to_be_checked()
    group_a = buyer.locator(f"[data-testid=group-{supplier_a.organization.slug}]")  # type: ignore[union-attr]
    group_b = buyer.locator(f"[data-testid=group-{supplier_b.organization.slug}]")  # type: ignore[union-attr]
    expect(group_a.locator("[data-testid=group-total]")).to_have_text("¥1,100.00")
    expect(group_b.locator("[data-testid=group-total]")).to_have_text("¥540.00")
    expect(buyer.locator("[data-testid=total]")).to_have_text("¥1,640.00")
    group_a.locator("textarea").fill(NOTE_A)
    group_b.locator("textarea").fill(NOTE_B)
    expect(buyer.locator("input[name=payment_method][value=sandbox]")).to_be_checked()
    screenshot(buyer, "checkout")
    buyer.locator("[data-testid=place]").click()

    # --- the sandbox provider's hosted page ---------------------------------------------------
    expect(buyer).to_have_url(re.compile(r"/pay/sandbox/[^/]+/$"))
    expect(buyer.locator("main h1")).to_have_text("Pay ¥1,640.00")
    order_a, order_b = _order_of(supplier_a), _order_of(supplier_b)
    assert (order_a.total_minor, order_a.note, order_b.total_minor, order_b.note) == (
        110_000,
        NOTE_A,
        54_000,
        NOTE_B,
    )
    screenshot(buyer, "sandbox-pay")
    assert webhook_requests == []
    buyer.get_by_role("button", name="Pay now").click()
    expect(buyer).to_have_url(re.compile(r"/orders/$"))
    # Both webhooks ("processing", then "succeeded") came back over HTTP to the live server.
    assert webhook_requests == [f"POST {WEBHOOK_PATH}"] * 2
    assert sorted(WebhookEvent.objects.values_list("event_type", "signature_valid")) == [
        ("payment.processing", True),
        ("payment.succeeded", True),
    ]
    for order in (order_a, order_b):
        row = buyer.locator(f"[data-testid=order-{order.number}]")
        expect(row.locator(".status")).to_have_text("Paid, to ship")
    expect(buyer.locator(f"[data-testid=order-{order_a.number}]")).to_contain_text("¥1,100.00")
    expect(buyer.locator(f"[data-testid=order-{order_b.number}]")).to_contain_text("¥540.00")
    screenshot(buyer, "orders-paid")

    # --- supplier A ships everything at once ------------------------------------------------
    seller_a = new_visitor(locale="en")
    _log_in(seller_a, supplier_a, "/workbench/orders/")
    seller_a.locator(f"[data-testid=order-{order_a.number}] a").click()
    expect(seller_a.locator("[data-testid=status]")).to_have_text("Paid, to ship")
    expect(seller_a.locator("main")).to_contain_text(NOTE_A)
    ship = seller_a.locator("[data-testid=action-ship]")
    ship.get_by_label("Carrier", exact=True).select_option("sf")
    ship.get_by_label("Tracking number").fill("SF1234567890")
    screenshot(seller_a, "a-ship")
    ship.get_by_role("button", name="Ship").click()
    expect(seller_a.locator("ul.messages li.success")).to_have_text(
        "Shipment recorded; the buyer was told."
    )
    expect(seller_a.locator("[data-testid=status]")).to_have_text("Shipped")
    expect(seller_a.locator("[data-testid=shipment]")).to_have_text(
        re.compile(r"^SF Express SF1234567890 · \d{4}-\d\d-\d\d \d\d:\d\d\s+\(BOWL-RED × 100\)$")
    )
    expect(seller_a.locator("[data-testid=tracking-link]")).to_have_attribute(
        "href", "https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF1234567890"
    )
    screenshot(seller_a, "a-shipped")

    # --- supplier B ships in two parts: 70 now, 50 later -------------------------------------
    seller_b = new_visitor(locale="en")
    _log_in(seller_b, supplier_b, f"/orders/{order_b.pk}/")
    expect(seller_b.locator("main")).to_contain_text(NOTE_B)
    ship = seller_b.locator("[data-testid=action-ship]")
    units = ship.locator("input[type=number]")
    expect(units).to_have_value("120")
    units.fill("70")
    ship.get_by_label("Carrier", exact=True).select_option("zto")
    ship.get_by_label("Tracking number").fill("ZTO-0001")
    ship.get_by_role("button", name="Ship").click()
    expect(seller_b.locator("ul.messages li.success")).to_have_count(1)
    expect(seller_b.locator("[data-testid=status]")).to_have_text(
        "Paid, to ship"
    )  # 50 still to ship
    expect(seller_b.locator("[data-testid=line-CUP-GREEN] [data-testid=shipped]")).to_have_text(
        "70"
    )
    expect(units).to_have_value("50")
    screenshot(seller_b, "b-first-part")
    ship.get_by_label("Carrier", exact=True).select_option("zto")
    ship.get_by_label("Tracking number").fill("ZTO-0002")
    ship.get_by_role("button", name="Ship").click()
    expect(seller_b.locator("[data-testid=status]")).to_have_text("Shipped")
    expect(seller_b.locator("[data-testid=line-CUP-GREEN] [data-testid=shipped]")).to_have_text(
        "120"
    )
    expect(seller_b.locator("[data-testid=shipment]")).to_have_count(2)
    expect(seller_b.locator("[data-testid=shipment]").nth(0)).to_contain_text("ZTO-0001")
    expect(seller_b.locator("[data-testid=shipment]").nth(0)).to_contain_text("CUP-GREEN × 70")
    expect(seller_b.locator("[data-testid=shipment]").nth(1)).to_contain_text("ZTO-0002")
    expect(seller_b.locator("[data-testid=shipment]").nth(1)).to_contain_text("CUP-GREEN × 50")
    expect(seller_b.locator("[data-testid=action-ship]")).to_have_count(0)
    screenshot(seller_b, "b-shipped")

    # --- the buyer confirms receipt of the bowls ---------------------------------------------
    buyer.goto(f"/orders/{order_a.pk}/")
    expect(buyer.locator("[data-testid=status]")).to_have_text("Shipped")
    buyer.locator("[data-testid=action-receive] button").click()
    expect(buyer.locator("ul.messages li.success")).to_have_text(
        "Receipt confirmed; the payment was released to the supplier."
    )
    expect(buyer.locator("[data-testid=status]")).to_have_text("Completed")
    expect(buyer.locator("[data-testid=commission]")).to_have_count(0)  # the supplier's business
    screenshot(buyer, "a-received")

    # --- the cups: the buyer stays silent and the trade clock confirms after 10 days ---------
    assert orders.orders_auto_confirm_due(now=timezone.now() + timedelta(days=9)) == 0
    assert orders.orders_auto_confirm_due(now=timezone.now() + timedelta(days=11)) == 1
    buyer.goto(f"/orders/{order_b.pk}/")
    expect(buyer.locator("[data-testid=status]")).to_have_text("Completed")
    expect(buyer.locator("[data-testid=timeline] li").last).to_contain_text("System")
    screenshot(buyer, "b-auto-confirmed")

    # --- both suppliers see what was released, minus the 3 % commission ----------------------
    # A: 1,100.00 - 33.00 = 1,067.00; B: 540.00 - 16.20 = 523.80.
    for seller, figures, available, step in (
        (seller_a, ["¥1,100.00", "¥33.00", "¥1,067.00"], "¥1,067.00", "a-balance"),
        (seller_b, ["¥540.00", "¥16.20", "¥523.80"], "¥523.80", "b-balance"),
    ):
        seller.reload()  # the order page: how the release was split
        expect(seller.locator("[data-testid=status]")).to_have_text("Completed")
        facts = seller.locator(
            "[data-testid=released], [data-testid=commission], [data-testid=credited]"
        )
        expect(facts).to_have_text(figures)
        seller.locator("#trade-nav a[href='/workbench/balance/']").click()
        expect(seller).to_have_url(re.compile(r"/workbench/balance/$"))
        row = seller.locator("[data-testid=balance-CNY]")
        expect(row.locator("[data-testid=available]")).to_have_text(available)
        expect(row.locator("[data-testid=requested]")).to_have_text("¥0.00")
        screenshot(seller, step)
    assert ledger_check() == []

    # --- the buyer reviews the bowls; the rating shows on supplier A's storefront ------------
    buyer.goto(f"/orders/{order_a.pk}/")
    review = buyer.locator("[data-testid=action-review]")
    for score, stars in (
        ("quality", 5),
        ("accuracy", 5),
        ("shipping_speed", 4),
        ("communication", 5),
    ):
        review.locator(f"input[name=review-{score}][value='{stars}']").check()
    review.locator("textarea").fill("Well packed, no breakage.")
    screenshot(buyer, "review")
    review.get_by_role("button", name="Publish the review").click()
    expect(buyer.locator("ul.messages li.success")).to_have_text("Thank you for your review.")
    expect(buyer.locator("[data-testid=review] .stars")).to_have_text("4.8 / 5")
    buyer.locator(f"a[href='/s/{supplier_a.organization.slug}/']").first.click()  # type: ignore[union-attr]
    expect(buyer).to_have_url(re.compile(rf"/s/{supplier_a.organization.slug}/$"))  # type: ignore[union-attr]
    expect(buyer.locator("[data-testid=rating]")).to_have_text("4.75 / 5 from 1 review")
    storefront_review = buyer.locator("[data-testid=review]")
    expect(storefront_review).to_have_count(1)
    expect(storefront_review).to_contain_text("Well packed, no breakage.")
    screenshot(buyer, "storefront-rating")

    # What the pages said is what the database holds: both orders closed, stock sold, not reserved.
    assert list(Order.objects.order_by("pk").values_list("status", "released_minor")) == [
        (OrderStatus.COMPLETED, 110_000),
        (OrderStatus.COMPLETED, 54_000),
    ]
    assert sorted(Sku.objects.values_list("code", "stock", "reserved", "sold")) == [
        ("BOWL-RED", 2900, 0, 100),
        ("CUP-GREEN", 680, 0, 120),
    ]
    _assert_no_browser_problems(browser_problems, buyer, seller_a, seller_b)
