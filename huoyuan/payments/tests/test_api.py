"""The trade JSON API for checkout, payments, webhooks, supplier money and the operator's desk."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client, TestCase

from huoyuan.accounts.contracts import Role
from huoyuan.accounts.selectors import actor_from_membership
from huoyuan.accounts.services import api_token_create
from huoyuan.accounts.tests.factories import MembershipFactory
from huoyuan.catalogue.models import Category, Product, Sku
from huoyuan.catalogue.services import product_update
from huoyuan.catalogue.tests.factories import make_product, product_input, sku
from huoyuan.ledger.models import Entry, Transaction
from huoyuan.ledger.selectors import ledger_check
from huoyuan.notifications.models import Notification
from huoyuan.orders import services as orders
from huoyuan.orders.contracts import OrderStatus
from huoyuan.orders.models import CartLine, Checkout, Order
from huoyuan.orders.tests.factories import address_for, capture, place, sku_of
from huoyuan.orders.tests.test_api import when
from huoyuan.payments import services
from huoyuan.payments.adapters import SIGNATURE_HEADER, sign
from huoyuan.payments.models import Payment, Payout, PayoutAccount, WebhookEvent
from huoyuan.payments.sandbox import event_body

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db

CHECKOUT = "/api/checkout"


def bowl(person: Person, category: Category, code: str = "BOWL", **extra: Any) -> Product:
    assert person.actor
    return make_product(person.actor, category, skus=[sku(code, stock=50, **extra)])


def cart(buyer: Person, *items: tuple[Sku, int]) -> str:
    """Fill the buyer's cart through the API; returns the quote token."""
    body: dict[str, Any] = {}
    for item, quantity in items:
        body = buyer.api(
            "POST", "/api/cart/lines", {"sku_id": item.pk, "quantity": quantity}
        ).json()
    return str(body["token"])


def checkout_body(buyer: Person, token: str, **overrides: Any) -> dict[str, Any]:
    assert buyer.actor
    return {
        "address_id": address_for(buyer.actor).pk,
        "payment_method": "sandbox",
        "quote_token": token,
        **overrides,
    }


def stock(item: Sku) -> tuple[int, int]:
    item.refresh_from_db()
    return item.stock, item.reserved


def nothing_placed() -> bool:
    return not (Order.objects.exists() or Checkout.objects.exists() or Payment.objects.exists())


# --- checkout --------------------------------------------------------------------------------


def test_checkout_places_one_order_per_supplier_and_one_payment(
    buyer_x: Person, supplier_a: Person, supplier_b: Person, category: Category
) -> None:
    bowl_sku = sku_of(bowl(supplier_a, category))
    cup_sku = sku_of(bowl(supplier_b, category, "CUP"))
    token = cart(buyer_x, (bowl_sku, 10), (cup_sku, 4))
    notes = {str(supplier_a.organization.pk): "Pack well"}  # type: ignore[union-attr]

    response = buyer_x.api("POST", CHECKOUT, checkout_body(buyer_x, token, notes=notes))

    assert response.status_code == 201, response.content
    payment = Payment.objects.get()
    first, second = Order.objects.order_by("pk")
    body = response.json()
    assert body["payment"] == {
        "reference": payment.reference,
        "provider": "sandbox",
        "status": "pending",
        "amount_minor": 10 * 1250 + 4 * 1250,
        "currency": "CNY",
        "next_url": f"http://testserver/pay/sandbox/{payment.reference}/",
    }
    assert [
        (o["id"], o["number"], o["supplier"]["slug"], o["total_minor"]) for o in body["orders"]
    ] == [
        (first.pk, first.number, "supplier-a", 12500),
        (second.pk, second.number, "supplier-b", 5000),
    ]
    assert (first.note, second.note) == ("Pack well", "")
    assert stock(bowl_sku) == (40, 10)
    assert not CartLine.objects.exists()


def test_a_stale_quote_is_refused_with_the_new_quote_and_nothing_is_reserved(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    product = bowl(supplier_a, category)
    item = sku_of(product)
    token = cart(buyer_x, (item, 10))
    assert supplier_a.actor
    # The supplier raises the price after the buyer looked at the cart.
    product_update(
        actor=supplier_a.actor,
        product_id=product.pk,
        data=product_input(category, skus=[sku("BOWL", stock=50, ladder=[(2, 1400)])]),
    )

    response = buyer_x.api("POST", CHECKOUT, checkout_body(buyer_x, token))

    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["field"]) == ("cart_changed", None)
    assert body["message"] == (
        "Prices or stock changed since you reviewed the cart. Check the new totals and place "
        "the order again."
    )
    assert body["quote"] == buyer_x.api("GET", "/api/cart").json()
    assert body["quote"]["token"] != token
    assert body["quote"]["total_minor"] == 14000
    assert body["quote"]["groups"][0]["lines"][0]["unit_price_minor"] == 1400
    assert nothing_placed()
    assert stock(item) == (50, 0)
    assert CartLine.objects.count() == 1

    retried = buyer_x.api("POST", CHECKOUT, checkout_body(buyer_x, body["quote"]["token"]))
    assert retried.status_code == 201
    assert retried.json()["payment"]["amount_minor"] == 14000


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"payment_method": "cash"}, "invalid", "payment_method"),
        ({"address_id": 0}, "invalid", "address"),
        ({"notes": {"1": "x" * 501}}, "invalid", "notes"),
        ({"total_minor": 1}, "invalid", "total_minor"),
    ],
)
def test_bad_checkout_input_is_refused_and_nothing_is_placed(
    buyer_x: Person,
    supplier_a: Person,
    category: Category,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    item = sku_of(bowl(supplier_a, category))
    token = cart(buyer_x, (item, 10))
    response = buyer_x.api("POST", CHECKOUT, checkout_body(buyer_x, token, **overrides))
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert nothing_placed()
    assert stock(item) == (50, 0)


def test_a_cart_with_problems_cannot_be_checked_out(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    item = sku_of(bowl(supplier_a, category))
    token = cart(buyer_x, (item, 1))  # below the MOQ of 2
    response = buyer_x.api("POST", CHECKOUT, checkout_body(buyer_x, token))
    assert response.status_code == 422
    assert response.json()["code"] == "cart_invalid"
    assert nothing_placed()


def test_an_empty_cart_cannot_be_checked_out(buyer_x: Person) -> None:
    response = buyer_x.api("POST", CHECKOUT, checkout_body(buyer_x, "x"))
    assert response.status_code == 422
    assert response.json() == {"code": "cart_empty", "message": "The cart is empty.", "field": None}
    assert nothing_placed()


def test_a_supplier_cannot_check_out(supplier_a: Person) -> None:
    response = supplier_a.api(
        "POST", CHECKOUT, {"address_id": 1, "payment_method": "sandbox", "quote_token": "x"}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "wrong_organization_kind"
    assert nothing_placed()


# --- payments --------------------------------------------------------------------------------


def test_buyer_reads_a_payment_with_its_orders(
    buyer_x: Person, buyer_y: Person, supplier_a: Person, category: Category
) -> None:
    assert buyer_x.actor
    submitted = place(buyer_x.actor, [(sku_of(bowl(supplier_a, category)), 10)])
    payment, order = submitted.payment, Order.objects.get()
    path = f"/api/payments/{payment.reference}"

    response = buyer_x.api("GET", path)

    assert response.json() == {
        "reference": payment.reference,
        "provider": "sandbox",
        "status": "pending",
        "amount_minor": 12500,
        "currency": "CNY",
        "next_url": f"http://testserver/pay/sandbox/{payment.reference}/",
        "created_at": when(payment.created_at),
        "captured_at": None,
        "orders": [
            {
                "id": order.pk,
                "number": order.number,
                "status": "pending_payment",
                "total_minor": 12500,
            }
        ],
        "bank_account": None,
    }
    assert buyer_y.api("GET", path).status_code == 404
    assert supplier_a.api("GET", path).status_code == 403


def test_a_bank_transfer_payment_shows_where_to_send_the_money(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    assert buyer_x.actor
    submitted = place(
        buyer_x.actor, [(sku_of(bowl(supplier_a, category)), 10)], method="bank_transfer"
    )
    body = buyer_x.api("GET", f"/api/payments/{submitted.payment.reference}").json()
    assert body["bank_account"] == {
        "account_name": "Huoyuan Marketplace Ltd.",
        "bank_name": "Demo Bank, Hangzhou branch",
        "account_number": "6222 0000 0000 0000 000",
    }
    assert body["next_url"] == f"http://testserver/pay/bank-transfer/{submitted.payment.reference}/"


def _fail(payment: Payment) -> None:
    body = event_body(payment, "payment.failed")
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.webhook_receive(
            provider="sandbox", body=body, headers={SIGNATURE_HEADER: sign(body)}
        )


def test_a_failed_payment_is_tried_again_as_a_new_payment(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    assert buyer_x.actor
    submitted = place(buyer_x.actor, [(sku_of(bowl(supplier_a, category)), 10)])
    path = f"/api/payments/{submitted.payment.reference}/retry"
    pending = buyer_x.api("POST", path)
    assert pending.status_code == 409
    assert pending.json()["message"] == "Only a failed payment can be tried again."
    assert Payment.objects.count() == 1

    _fail(submitted.payment)
    response = buyer_x.api("POST", path)

    assert response.status_code == 201
    fresh = Payment.objects.exclude(pk=submitted.payment.pk).get()
    body = response.json()
    assert (body["reference"], body["status"], body["amount_minor"]) == (
        fresh.reference,
        "pending",
        12500,
    )
    assert fresh.checkout_id == submitted.payment.checkout_id


# --- webhooks --------------------------------------------------------------------------------


def post_webhook(body: bytes, provider: str = "sandbox", **headers: str) -> Any:
    # A provider has no session and no CSRF token: the endpoint must not need them.
    client = Client(enforce_csrf_checks=True)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return client.post(
        f"/api/payments/webhooks/{provider}", body, content_type="application/json", **extra
    )


def test_a_signed_success_webhook_pays_the_orders_and_a_repeat_is_acknowledged(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    assert buyer_x.actor
    submitted = place(buyer_x.actor, [(sku_of(bowl(supplier_a, category)), 10)])
    body = event_body(submitted.payment, "payment.succeeded")

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = post_webhook(body, **{SIGNATURE_HEADER: sign(body)})
    assert response.status_code == 200
    assert response.json() == {"result": "captured; 1 orders paid, 0 refunded (late)"}
    assert Order.objects.get().status == OrderStatus.PAID

    again = post_webhook(body, **{SIGNATURE_HEADER: sign(body)})
    assert again.json() == {"result": "duplicate"}
    assert WebhookEvent.objects.get().deliveries == 2
    assert Transaction.objects.count() == 1
    assert ledger_check() == []


@pytest.mark.parametrize("signature", ["", "t=1,v1=deadbeef", "garbage"])
def test_a_badly_signed_webhook_is_refused_and_recorded(
    buyer_x: Person, supplier_a: Person, category: Category, signature: str
) -> None:
    assert buyer_x.actor
    submitted = place(buyer_x.actor, [(sku_of(bowl(supplier_a, category)), 10)])
    body = event_body(submitted.payment, "payment.succeeded")
    headers = {SIGNATURE_HEADER: signature} if signature else {}

    response = post_webhook(body, **headers)

    assert response.status_code == 400
    assert response.json() == {
        "code": "signature_invalid",
        "message": "The webhook signature is missing or wrong.",
        "field": None,
    }
    event = WebhookEvent.objects.get()
    assert (event.signature_valid, event.result) == (False, "refused: bad signature")
    assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT
    assert not Transaction.objects.exists()


def test_a_body_changed_after_signing_is_refused(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    assert buyer_x.actor
    submitted = place(buyer_x.actor, [(sku_of(bowl(supplier_a, category)), 10)])
    signed = event_body(submitted.payment, "payment.succeeded")
    data = json.loads(signed)
    data["data"]["amount_minor"] = 1
    response = post_webhook(json.dumps(data).encode(), **{SIGNATURE_HEADER: sign(signed)})
    assert response.status_code == 400
    assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT


def test_an_unknown_provider_is_not_found_and_nothing_is_recorded() -> None:
    response = post_webhook(b"{}", provider="paypal")
    assert response.status_code == 404
    assert not WebhookEvent.objects.exists()


# --- supplier money --------------------------------------------------------------------------


def earn(buyer: Person, supplier: Person, category: Category) -> Order:
    """A completed order of 10 bowls: 12500 released, 375 commission, 12125 to the supplier."""
    assert buyer.actor
    assert supplier.actor
    submitted = place(buyer.actor, [(sku_of(bowl(supplier, category)), 10)])
    capture(submitted.payment)
    order = Order.objects.get(pk=submitted.order_ids[0])
    orders.order_ship(actor=supplier.actor, order_id=order.pk, carrier="SF", tracking_number="1")
    orders.order_confirm_receipt(actor=buyer.actor, order_id=order.pk)
    return order


ACCOUNT = {
    "holder_name": "supplier_a Co.",
    "bank_name": "Bank of Ningbo",
    "account_number": "6222 0000 1111 2222",
}


def test_supplier_sees_its_balance_and_ledger(
    buyer_x: Person, supplier_a: Person, supplier_b: Person, category: Category
) -> None:
    assert supplier_a.api("GET", "/api/supplier/balance").json() == []
    order = earn(buyer_x, supplier_a, category)

    assert supplier_a.api("GET", "/api/supplier/balance").json() == [
        {"currency": "CNY", "available_minor": 12125, "payout_pending_minor": 0}
    ]
    ledger = supplier_a.api("GET", "/api/supplier/ledger").json()
    entry = Entry.objects.get(account__organization=supplier_a.organization)
    assert ledger == {
        "items": [
            {
                "id": entry.pk,
                "created_at": when(entry.transaction.created_at),
                "kind": "release",
                "memo": f"{order.number} released",
                "account": "supplier_available",
                "amount_minor": 12125,
                "currency": "CNY",
                "balance_after_minor": 12125,
                "order_id": order.pk,
            }
        ],
        "count": 1,
    }
    assert supplier_b.api("GET", "/api/supplier/ledger").json() == {"items": [], "count": 0}
    assert buyer_x.api("GET", "/api/supplier/balance").status_code == 403


def test_supplier_sets_a_payout_account_shown_masked_and_requests_a_payout(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    missing = supplier_a.api("GET", "/api/supplier/payout-account")
    assert missing.status_code == 404
    assert missing.json()["message"] == "No payout account yet: add one with PUT."
    refused = supplier_a.api("POST", "/api/supplier/payouts", {})
    assert refused.status_code == 422
    assert refused.json()["message"] == "Add the bank account for payouts first."

    response = supplier_a.api("PUT", "/api/supplier/payout-account", ACCOUNT)
    account = PayoutAccount.objects.get()
    assert response.json() == {
        "holder_name": "supplier_a Co.",
        "bank_name": "Bank of Ningbo",
        "account_number": "****2222",
        "updated_at": when(account.updated_at),
    }
    assert account.account_number == "6222000011112222"
    assert supplier_a.api("GET", "/api/supplier/payout-account").json() == response.json()

    nothing = supplier_a.api("POST", "/api/supplier/payouts", {})
    assert nothing.status_code == 409
    assert nothing.json()["message"] == "There is no available balance to pay out."

    earn(buyer_x, supplier_a, category)
    response = supplier_a.api("POST", "/api/supplier/payouts", {"currency": "CNY"})
    assert response.status_code == 201
    payout = Payout.objects.get()
    assert response.json() == {
        "id": payout.pk,
        "amount_minor": 12125,
        "currency": "CNY",
        "status": "requested",
        "requested_at": when(payout.requested_at),
        "paid_reference": "",
        "paid_at": None,
    }
    assert supplier_a.api("GET", "/api/supplier/balance").json() == [
        {"currency": "CNY", "available_minor": 0, "payout_pending_minor": 12125}
    ]
    assert supplier_a.api("GET", "/api/supplier/payouts").json() == {
        "items": [response.json()],
        "count": 1,
    }


def test_only_owners_and_admins_manage_payouts(supplier_a: Person) -> None:
    staff = MembershipFactory(organization=supplier_a.organization, role=Role.STAFF)
    _token, raw = api_token_create(actor=actor_from_membership(staff), name="staff")
    response = Client().put(
        "/api/supplier/payout-account",
        ACCOUNT,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 403
    assert response.json()["message"] == "Only the owner or an admin may manage payouts."
    assert not PayoutAccount.objects.exists()


def test_a_bad_payout_account_or_currency_is_refused(supplier_a: Person) -> None:
    response = supplier_a.api(
        "PUT", "/api/supplier/payout-account", {**ACCOUNT, "account_number": "62-22"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "account_number"
    response = supplier_a.api("POST", "/api/supplier/payouts", {"currency": "XYZ"})
    assert response.status_code == 422
    assert response.json()["field"] == "currency"
    assert not PayoutAccount.objects.exists()
    assert not Payout.objects.exists()


# --- operator --------------------------------------------------------------------------------


def test_operator_matches_a_bank_transfer_and_the_orders_are_paid(
    operator: Person, buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    assert buyer_x.actor
    submitted = place(
        buyer_x.actor, [(sku_of(bowl(supplier_a, category)), 10)], method="bank_transfer"
    )
    payment = submitted.payment

    listed = operator.api("GET", "/api/operator/bank-transfers").json()
    assert listed == {
        "items": [
            {
                "reference": payment.reference,
                "buyer": {"id": buyer_x.organization.pk, "slug": "buyer-x", "name": "buyer_x Co."},  # type: ignore[union-attr]
                "amount_minor": 12500,
                "currency": "CNY",
                "created_at": when(payment.created_at),
            }
        ],
        "count": 1,
    }

    data = {"reference": payment.reference.lower(), "amount": "125.00", "bank_reference": "B77"}
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = operator.api("POST", "/api/operator/bank-transfers/match", data)

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["orders"][0]["status"]) == ("captured", "paid")
    assert operator.api("GET", "/api/operator/bank-transfers").json()["count"] == 0
    again = operator.api("POST", "/api/operator/bank-transfers/match", data)
    assert again.status_code == 409
    assert ledger_check() == []


@pytest.mark.parametrize(
    ("amount", "code", "field"),
    [("124.99", "amount_mismatch", "amount"), ("lots", "invalid", "amount")],
)
def test_a_transfer_for_another_amount_is_not_matched(
    operator: Person,
    buyer_x: Person,
    supplier_a: Person,
    category: Category,
    amount: str,
    code: str,
    field: str,
) -> None:
    assert buyer_x.actor
    submitted = place(
        buyer_x.actor, [(sku_of(bowl(supplier_a, category)), 10)], method="bank_transfer"
    )
    data = {"reference": submitted.payment.reference, "amount": amount, "bank_reference": "B77"}
    response = operator.api("POST", "/api/operator/bank-transfers/match", data)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert Payment.objects.get().status == "pending"
    assert not Transaction.objects.exists()


def test_an_unknown_transfer_reference_is_refused(operator: Person) -> None:
    data = {"reference": "PAYNOSUCH", "amount": "1.00", "bank_reference": "B77"}
    response = operator.api("POST", "/api/operator/bank-transfers/match", data)
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": "No bank-transfer payment has this reference.",
        "field": "reference",
    }


def test_only_the_operator_matches_transfers(
    buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    assert buyer_x.actor
    submitted = place(
        buyer_x.actor, [(sku_of(bowl(supplier_a, category)), 10)], method="bank_transfer"
    )
    data = {"reference": submitted.payment.reference, "amount": "125.00", "bank_reference": "B"}
    for person in (buyer_x, supplier_a):
        response = person.api("POST", "/api/operator/bank-transfers/match", data)
        assert response.status_code == 403
        assert response.json()["code"] == "wrong_organization_kind"
    assert Payment.objects.get().status == "pending"


def test_operator_lists_payouts_by_status_and_marks_one_paid(
    operator: Person, buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    earn(buyer_x, supplier_a, category)
    assert supplier_a.actor
    services.payout_account_set(actor=supplier_a.actor, **{**ACCOUNT, "account_number": "62220000"})
    payout = services.payout_request(actor=supplier_a.actor)

    requested = operator.api("GET", "/api/operator/payouts", {"status": "requested"}).json()
    assert [(p["id"], p["supplier"]["slug"]) for p in requested["items"]] == [
        (payout.pk, "supplier-a")
    ]
    assert operator.api("GET", "/api/operator/payouts", {"status": "paid"}).json()["count"] == 0
    bad = operator.api("GET", "/api/operator/payouts", {"status": "lost"})
    assert bad.status_code == 422

    path = f"/api/operator/payouts/{payout.pk}/paid"
    assert operator.api("POST", path, {"reference": ""}).status_code == 422
    response = operator.api("POST", path, {"reference": "WIRE-1"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["paid_reference"]) == ("paid", "WIRE-1")
    assert operator.api("POST", path, {"reference": "WIRE-2"}).status_code == 409
    assert Payout.objects.get().paid_reference == "WIRE-1"
    assert supplier_a.api("GET", "/api/supplier/balance").json() == [
        {"currency": "CNY", "available_minor": 0, "payout_pending_minor": 0}
    ]
    assert Notification.objects.filter(verb="payout.paid").count() == 1
    assert ledger_check() == []


def test_operator_reads_the_whole_ledger_balanced(
    operator: Person, buyer_x: Person, supplier_a: Person, category: Category
) -> None:
    earn(buyer_x, supplier_a, category)
    body = operator.api("GET", "/api/operator/ledger").json()
    assert body["count"] == 2
    assert [t["kind"] for t in body["items"]] == ["release", "payment_capture"]
    for item in body["items"]:
        assert sum(e["amount_minor"] for e in item["entries"]) == 0
    release = body["items"][0]["entries"]
    assert [(e["account"], e["amount_minor"]) for e in release] == [
        ("escrow", -12500),
        ("supplier_available", 12125),
        ("platform_commission", 375),
    ]
    assert buyer_x.api("GET", "/api/operator/ledger").status_code == 403
