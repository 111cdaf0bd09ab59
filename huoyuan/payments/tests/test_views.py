"""Payment pages: checkout (with prices that change under the buyer), paying again, the supplier's
balance and payouts, and the operator's bank-transfer matching, payouts and ledger."""

from __future__ import annotations

import re
from html import unescape
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import Permission
from django.http import HttpResponse
from django.test import TestCase

from huoyuan.accounts.contracts import Role
from huoyuan.accounts.tests.factories import MembershipFactory
from huoyuan.catalogue.models import Category, PriceTier, Product, Sku
from huoyuan.catalogue.tests.factories import make_product, sku
from huoyuan.ledger.contracts import AccountKind, AccountRef
from huoyuan.ledger.selectors import account_balance, ledger_check
from huoyuan.orders import services as orders
from huoyuan.orders.contracts import OrderStatus
from huoyuan.orders.models import CartLine, Order
from huoyuan.orders.tests.factories import address_for, capture, orders_of, place, sku_of
from huoyuan.orders.tests.test_views import flash, page_errors, text, texts
from huoyuan.payments.contracts import PaymentStatus, PayoutStatus
from huoyuan.payments.models import Payment, Payout, PayoutAccount
from huoyuan.payments.sandbox import deliver, event_body

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db


def actor(person: Person) -> Any:
    assert person.actor is not None
    return person.actor


def org_id(person: Person) -> int:
    assert person.organization is not None
    return person.organization.pk


def hidden(response: HttpResponse, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', response.content.decode())
    assert found, f"no hidden input {name}"
    return unescape(found.group(1))


@pytest.fixture
def bowl(supplier_a: Person, category: Category) -> Product:
    return make_product(
        actor(supplier_a),
        category,
        title_en="Bowl",
        skus=[
            sku("BOWL", ladder=[(10, 1250), (100, 1100)], stock=1000, attributes={"colour": "Red"})
        ],
    )


@pytest.fixture
def cup(supplier_b: Person, category: Category) -> Product:
    return make_product(
        actor(supplier_b),
        category,
        title_en="Cup",
        skus=[sku("CUP", ladder=[(50, 300)], stock=1000)],
    )


@pytest.fixture
def filled(bowl: Product, cup: Product, buyer_x: Person) -> Any:
    """buyer_x's cart: 100 bowls from supplier_a, 60 cups from supplier_b; two addresses."""
    buyer = actor(buyer_x)
    orders.cart_add(actor=buyer, sku_id=sku_of(bowl).pk, quantity=100)
    orders.cart_add(actor=buyer, sku_id=sku_of(cup).pk, quantity=60)
    home = address_for(buyer, label="Home")
    shop = address_for(buyer, label="Shop", recipient="韩梅梅", is_default=True)
    return {"home": home, "shop": shop}


def state() -> dict[str, Any]:
    return {
        "orders": list(Order.objects.order_by("pk").values()),
        "payments": list(Payment.objects.order_by("pk").values()),
        "cart": list(CartLine.objects.order_by("pk").values_list("pk", "quantity")),
        "stock": list(Sku.objects.order_by("pk").values_list("stock", "reserved", "sold")),
        "payouts": list(Payout.objects.order_by("pk").values()),
        "accounts": list(PayoutAccount.objects.order_by("pk").values()),
    }


# --- checkout --------------------------------------------------------------------------------


def test_checkout_page_shows_the_quote_addresses_and_methods(filled: Any, buyer_x: Person) -> None:
    response = buyer_x.client.get("/checkout/")
    assert response.status_code == 200
    found = texts(response)
    assert found["line-total"] == ["¥1,100.00", "¥180.00"]
    assert found["total"] == ["¥1,280.00"]
    assert hidden(response, "quote_token") == orders.cart_quote(actor=actor(buyer_x)).token
    html = response.content.decode()
    assert f'value="{filled["shop"].pk}" required id="id_address_0" checked' in html
    assert 'value="sandbox" required id="id_payment_method_0" checked' in html
    assert "Note to supplier_a Co. (optional)" in html
    assert "Note to supplier_b Co. (optional)" in html


def test_checkout_places_one_order_per_supplier_and_goes_to_the_payment(
    filled: Any, buyer_x: Person, supplier_a: Person
) -> None:
    page = buyer_x.client.get("/checkout/")
    response = buyer_x.client.post(
        "/checkout/",
        {
            "address": filled["home"].pk,
            "payment_method": "sandbox",
            "quote_token": hidden(page, "quote_token"),
            "seen": hidden(page, "seen"),
            f"note_{org_id(supplier_a)}": "Pack in pairs, please",
        },
    )
    payment = Payment.objects.get()
    assert (response.status_code, response["Location"]) == (
        302,
        f"/pay/sandbox/{payment.reference}/",
    )
    assert flash(response) == ["Order placed. Pay ¥1,280.00 to confirm it."]
    placed = list(Order.objects.order_by("pk").values_list("supplier_id", "total_minor", "note"))
    assert placed == [
        (org_id(supplier_a), 110000, "Pack in pairs, please"),
        (placed[1][0], 18000, ""),
    ]
    assert Order.objects.first().address["recipient"] == "王小明"  # type: ignore[union-attr]
    assert not CartLine.objects.exists()


def test_checkout_by_bank_transfer_shows_the_account_and_reference(
    filled: Any, buyer_x: Person
) -> None:
    page = buyer_x.client.get("/checkout/")
    response = buyer_x.client.post(
        "/checkout/",
        {
            "address": filled["shop"].pk,
            "payment_method": "bank_transfer",
            "quote_token": hidden(page, "quote_token"),
        },
    )
    payment = Payment.objects.get()
    assert response["Location"] == f"/pay/bank-transfer/{payment.reference}/"
    transfer = buyer_x.client.get(response["Location"]).content.decode()
    assert f"<code>{payment.reference}</code>" in transfer
    assert "¥1,280.00" in transfer


def test_checkout_of_an_empty_cart_goes_back_to_the_cart(buyer_x: Person) -> None:
    response = buyer_x.client.get("/checkout/")
    assert (response.status_code, response["Location"]) == (302, "/cart/")
    assert flash(response) == ["Your cart is empty: add products to it first."]


@pytest.mark.parametrize(
    ("change", "field_error"),
    [
        ({"address": ""}, "Choose a shipping address from your address book."),
        (
            {"payment_method": "cash"},
            "Select a valid choice. cash is not one of the available choices.",
        ),
        (
            {"address": "ADDRESS_OF_Y"},
            "Select a valid choice. ADDRESS_OF_Y is not one of the available choices.",
        ),
    ],
)
def test_checkout_errors_show_on_the_form_and_nothing_is_placed(
    filled: Any, buyer_x: Person, buyer_y: Person, change: dict[str, str], field_error: str
) -> None:
    if change.get("address") == "ADDRESS_OF_Y":
        other = address_for(actor(buyer_y))
        change = {"address": str(other.pk)}
        field_error = field_error.replace("ADDRESS_OF_Y", str(other.pk))
    page = buyer_x.client.get("/checkout/")
    data = {
        "address": filled["home"].pk,
        "payment_method": "sandbox",
        "quote_token": hidden(page, "quote_token"),
    } | change
    before = state()
    response = buyer_x.client.post("/checkout/", data)
    assert response.status_code == 422
    assert page_errors(response) == [field_error]
    assert state() == before


def test_checkout_without_an_address_links_to_the_address_book(
    bowl: Product, buyer_x: Person
) -> None:
    orders.cart_add(actor=actor(buyer_x), sku_id=sku_of(bowl).pk, quantity=10)
    response = buyer_x.client.get("/checkout/")
    assert text(response, "no-address") == "Your address book is empty."
    assert 'href="/addresses/?next=/checkout/#add"' in response.content.decode()


def test_changed_price_rerenders_checkout_with_the_new_quote_and_charges_nothing(
    filled: Any, bowl: Product, buyer_x: Person
) -> None:
    page = buyer_x.client.get("/checkout/")
    token, seen = hidden(page, "quote_token"), hidden(page, "seen")
    # The supplier lowers the 100+ price while the buyer looks at the page.
    PriceTier.objects.filter(sku=sku_of(bowl), min_quantity=100).update(unit_price_minor=1050)
    before = state()
    response = buyer_x.client.post(
        "/checkout/",
        {
            "address": filled["home"].pk,
            "payment_method": "bank_transfer",
            "quote_token": token,
            "seen": seen,
        },
    )
    assert response.status_code == 409
    changes = text(response, "changes")
    assert changes.startswith(
        "Prices or stock changed since you looked at the cart. Nothing was ordered and nothing was "
        "charged. Check the new totals below and place the order again."
    )
    assert "Bowl (Red): the unit price is now ¥10.50 (was ¥11.00)." in changes
    assert "The total is now ¥1,230.00 (was ¥1,280.00)." in changes
    assert texts(response)["total"] == ["¥1,230.00"]
    assert texts(response)["line-total"] == ["¥1,050.00", "¥180.00"]
    new_token = hidden(response, "quote_token")
    assert new_token == orders.cart_quote(actor=actor(buyer_x)).token != token
    # The buyer's choices stay chosen.
    html = response.content.decode()
    assert f'value="{filled["home"].pk}" required id="id_address_1" checked' in html
    assert 'value="bank_transfer" required id="id_payment_method_1" checked' in html
    assert state() == before

    again = buyer_x.client.post(
        "/checkout/",
        {"address": filled["home"].pk, "payment_method": "bank_transfer", "quote_token": new_token},
    )
    assert again.status_code == 302
    assert Payment.objects.get().amount_minor == 123000


def test_quantity_changed_in_another_tab_is_named(filled: Any, buyer_x: Person) -> None:
    page = buyer_x.client.get("/checkout/")
    line = CartLine.objects.get(sku__code="CUP")
    orders.cart_set_quantity(actor=actor(buyer_x), line_id=line.pk, quantity=80)
    response = buyer_x.client.post(
        "/checkout/",
        {
            "address": filled["home"].pk,
            "payment_method": "sandbox",
            "quote_token": hidden(page, "quote_token"),
            "seen": hidden(page, "seen"),
        },
    )
    assert response.status_code == 409
    assert "Cup (Black): the quantity is now 80 (was 60)." in text(response, "changes")
    assert not Order.objects.exists()


def test_stock_gone_before_checkout_shows_the_line_problem(
    filled: Any, bowl: Product, buyer_x: Person
) -> None:
    page = buyer_x.client.get("/checkout/")
    Sku.objects.filter(pk=sku_of(bowl).pk).update(stock=40)
    before = state()
    response = buyer_x.client.post(
        "/checkout/",
        {
            "address": filled["home"].pk,
            "payment_method": "sandbox",
            "quote_token": hidden(page, "quote_token"),
        },
    )
    assert response.status_code == 422
    assert text(response, "form-error") == (
        "Some lines of the cart cannot be ordered as they are; see each line."
    )
    assert "Only 40 in stock." in text(response, "line-BOWL")
    assert "place" not in texts(response)  # no button until the cart is fixed
    assert state() == before


# --- paying and paying again -----------------------------------------------------------------


@pytest.fixture
def waiting(bowl: Product, buyer_x: Person) -> Any:
    return place(actor(buyer_x), [(sku_of(bowl), 10)])


def fail(payment: Payment) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        deliver(event_body(payment, "payment.failed"))


def test_pay_now_goes_to_the_pending_payment(waiting: Any, buyer_x: Person) -> None:
    order_id = waiting.order_ids[0]
    response = buyer_x.client.get(f"/pay/orders/{order_id}/")
    assert (response.status_code, response["Location"]) == (
        302,
        f"/pay/sandbox/{waiting.payment.reference}/",
    )


def test_failed_payment_can_be_tried_again(waiting: Any, buyer_x: Person) -> None:
    fail(waiting.payment)
    order_id = waiting.order_ids[0]
    page = buyer_x.client.get(f"/pay/orders/{order_id}/")
    assert page.status_code == 200
    assert text(page, "retry") == "Try again"
    assert (
        "Try again"
        in buyer_x.client.get(f"/pay/sandbox/{waiting.payment.reference}/").content.decode()
    )
    response = buyer_x.client.post(f"/pay/retry/{waiting.payment.reference}/")
    retry = Payment.objects.order_by("-pk").first()
    assert retry is not None
    assert (retry.status, retry.amount_minor, retry.checkout_id) == (
        PaymentStatus.PENDING,
        12500,
        waiting.payment.checkout_id,
    )
    assert response["Location"] == f"/pay/sandbox/{retry.reference}/"


def test_retry_of_a_payment_that_did_not_fail_is_refused(waiting: Any, buyer_x: Person) -> None:
    before = state()
    response = buyer_x.client.post(f"/pay/retry/{waiting.payment.reference}/")
    assert response.status_code == 302
    assert flash(response) == ["Only a failed payment can be tried again."]
    assert state() == before


def test_paid_order_needs_no_payment(waiting: Any, buyer_x: Person, buyer_y: Person) -> None:
    capture(waiting.payment)
    order_id = waiting.order_ids[0]
    response = buyer_x.client.get(f"/pay/orders/{order_id}/")
    assert response["Location"] == f"/orders/{order_id}/"
    assert flash(response) == ["This order does not wait for payment."]
    assert buyer_y.client.get(f"/pay/orders/{order_id}/").status_code == 404
    assert buyer_y.client.post(f"/pay/retry/{waiting.payment.reference}/").status_code == 404


# --- the supplier's balance ------------------------------------------------------------------


@pytest.fixture
def earned(bowl: Product, buyer_x: Person, supplier_a: Person) -> Order:
    """A completed order of 100 bowls: 1,100.00 less 3% commission is available to supplier_a."""
    submitted = place(actor(buyer_x), [(sku_of(bowl), 100)])
    capture(submitted.payment)
    order = orders_of(submitted)[0]
    orders.order_ship(actor=actor(supplier_a), order_id=order.pk, carrier="SF", tracking_number="1")
    orders.order_confirm_receipt(actor=actor(buyer_x), order_id=order.pk)
    return order


def test_balance_page_shows_available_money_and_history(earned: Order, supplier_a: Person) -> None:
    response = supplier_a.client.get("/workbench/balance/")
    assert text(response, "balance-CNY") == "CNY ¥1,067.00 ¥0.00"
    history = text(response, "ledger")
    assert (
        "Escrow released to the supplier Supplier balance (available) Order ¥1,067.00 ¥1,067.00"
        in history
    )
    assert text(response, "payouts").endswith("No payouts yet.")


def test_payout_account_is_saved_and_shown_masked(earned: Order, supplier_a: Person) -> None:
    response = supplier_a.client.post(
        "/workbench/balance/account/",
        {
            "holder_name": "supplier_a Co.",
            "bank_name": "Bank of Ningbo",
            "account_number": "6222 0000 1111 2222",
        },
    )
    assert (response.status_code, response["Location"]) == (302, "/workbench/balance/")
    page = supplier_a.client.get("/workbench/balance/")
    assert text(page, "payout-account") == "supplier_a Co. · Bank of Ningbo · ****2222"
    assert "6222000011112222" not in page.content.decode()


def test_bad_payout_account_shows_the_error_and_saves_nothing(supplier_a: Person) -> None:
    response = supplier_a.client.post(
        "/workbench/balance/account/",
        {"holder_name": "supplier_a Co.", "bank_name": "Bank", "account_number": "6222-0000"},
    )
    assert response.status_code == 422
    assert page_errors(response) == ["An account number has letters and digits only."]
    assert not PayoutAccount.objects.exists()


def test_payout_request_moves_the_available_balance(earned: Order, supplier_a: Person) -> None:
    supplier_a.client.post(
        "/workbench/balance/account/",
        {"holder_name": "A", "bank_name": "B", "account_number": "62220000"},
    )
    response = supplier_a.client.post("/workbench/balance/payout/", {"currency": "CNY"})
    assert flash(response) == [
        "Payout account saved.",
        "Payout of ¥1,067.00 requested; the operator sends it to your bank account.",
    ]
    payout = Payout.objects.get()
    assert (payout.amount_minor, payout.status) == (106700, PayoutStatus.REQUESTED)
    page = supplier_a.client.get("/workbench/balance/")
    assert text(page, "balance-CNY") == "CNY ¥0.00 ¥1,067.00"
    before = state()
    again = supplier_a.client.post("/workbench/balance/payout/", {"currency": "CNY"})
    assert again.status_code == 409
    assert page_errors(again) == ["There is no available balance to pay out."]
    assert state() == before


def test_staff_may_not_manage_payouts(earned: Order, supplier_a: Person) -> None:
    staff = MembershipFactory(organization=supplier_a.organization, role=Role.STAFF)
    supplier_a.client.force_login(staff.user)
    page = supplier_a.client.get("/workbench/balance/")
    assert "Only the owner or an admin of the company may request payouts." in page.content.decode()
    before = state()
    response = supplier_a.client.post(
        "/workbench/balance/account/",
        {"holder_name": "A", "bank_name": "B", "account_number": "1234"},
    )
    assert response.status_code == 403
    assert page_errors(response) == ["Only the owner or an admin may manage payouts."]
    assert state() == before


# --- the operator ----------------------------------------------------------------------------


@pytest.fixture
def transfer(bowl: Product, buyer_x: Person) -> Any:
    return place(actor(buyer_x), [(sku_of(bowl), 10)], method="bank_transfer")


def test_bank_transfers_page_lists_the_pending_ones(transfer: Any, operator: Person) -> None:
    reference = transfer.payment.reference
    response = operator.client.get("/operator/bank-transfers/", {"reference": reference})
    assert text(response, f"transfer-{reference}").startswith(f"{reference} buyer_x Co. ¥125.00")
    assert f'name="reference" value="{reference}"' in response.content.decode()


@pytest.mark.parametrize(
    ("amount", "reference", "message"),
    [
        (
            "124.99",
            None,
            "The transfer is for a different amount than the payment expects; contact the buyer "
            "before matching it.",
        ),
        ("125.00", "PAYNOSUCH", "No bank-transfer payment has this reference."),
        ("1,25", None, "Enter an amount such as 12.50."),
    ],
)
def test_bank_transfer_match_errors_change_nothing(
    transfer: Any, operator: Person, amount: str, reference: str | None, message: str
) -> None:
    before = state()
    response = operator.client.post(
        "/operator/bank-transfers/",
        {
            "reference": reference or transfer.payment.reference,
            "amount": amount,
            "bank_reference": "ICBC-1",
        },
    )
    assert response.status_code == 422
    assert page_errors(response) == [message]
    assert state() == before


def test_bank_transfer_match_pays_the_orders(transfer: Any, operator: Person) -> None:
    response = operator.client.post(
        "/operator/bank-transfers/",
        {
            "reference": transfer.payment.reference.lower(),
            "amount": "125",
            "bank_reference": "ICBC-1",
        },
    )
    assert (response.status_code, response["Location"]) == (302, "/operator/bank-transfers/")
    assert flash(response) == [
        f"Payment {transfer.payment.reference} matched: its orders are paid."
    ]
    assert orders_of(transfer)[0].status == OrderStatus.PAID
    assert account_balance(ref=AccountRef(AccountKind.ESCROW, "CNY")) == 12500
    assert ledger_check() == []


@pytest.fixture
def requested(earned: Order, supplier_a: Person) -> Payout:
    from huoyuan.payments import services

    services.payout_account_set(
        actor=actor(supplier_a), holder_name="A", bank_name="B", account_number="62220000"
    )
    return services.payout_request(actor=actor(supplier_a))


def test_operator_marks_a_payout_paid(requested: Payout, operator: Person) -> None:
    listed = operator.client.get("/operator/payouts/")
    assert text(listed, f"payout-{requested.pk}").startswith(
        f"{requested.pk} supplier_a Co. A B 62220000 ¥1,067.00"
    )
    assert text(listed, "pay-to") == "A B 62220000"
    before = state()
    empty = operator.client.post(f"/operator/payouts/{requested.pk}/paid/", {"reference": ""})
    assert empty.status_code == 422
    assert text(empty, "payout-error") == f"Payout {requested.pk}: This field is required."
    assert state() == before

    response = operator.client.post(
        f"/operator/payouts/{requested.pk}/paid/", {"reference": "OUT-1"}
    )
    assert flash(response) == [f"Payout {requested.pk} of ¥1,067.00 marked paid."]
    requested.refresh_from_db()
    assert (requested.status, requested.paid_reference) == (PayoutStatus.PAID, "OUT-1")

    twice = operator.client.post(f"/operator/payouts/{requested.pk}/paid/", {"reference": "OUT-2"})
    assert twice.status_code == 409
    assert (
        text(twice, "payout-error") == f"Payout {requested.pk}: This payout is already marked paid."
    )
    paid = operator.client.get("/operator/payouts/", {"status": "paid"})
    assert "OUT-1" in text(paid, f"payout-{requested.pk}")


def test_ledger_page_lists_transactions_with_their_entries(earned: Order, operator: Person) -> None:
    response = operator.client.get("/operator/ledger/")
    found = texts(response)
    transactions = [k for k in found if k.startswith("tx-")]
    assert len(transactions) == 2  # the capture and the release
    release = found[transactions[0]][0]
    assert release.startswith(f"Escrow released to the supplier · release:{earned.pk} · ")
    assert "Platform commission Platform" in release
    assert f"Supplier balance (available) supplier_a Co. #{earned.pk} ¥1,067.00" in release
    assert "¥1,067.00" in release
    # Every entry names its account's owner: the platform or an organization, never a bare id.
    assert sorted(found["owner"]) == ["Platform"] * 4 + ["supplier_a Co."]
    assert "/admin/" not in response.content.decode()  # this operator may not open the admin


def test_ledger_page_links_owners_to_their_admin_page_for_who_may_open_it(
    earned: Order, operator: Person, supplier_a: Person
) -> None:
    assert operator.user is not None
    operator.user.user_permissions.add(Permission.objects.get(codename="view_organization"))
    response = operator.client.get("/operator/ledger/")
    links = re.findall(r'<td data-testid="owner"><a href="([^"]+)">([^<]+)</a>', response.text)
    page = f"/admin/accounts/organization/{org_id(supplier_a)}/change/"
    assert links == [(page, "supplier_a Co.")]
    opened = operator.client.get(page)
    assert opened.status_code == 200
    assert "supplier_a Co." in opened.text
