"""Payment services: trying a failed payment again, the operator's bank-transfer match, payout
accounts and payouts, with the ledger and the audit trail of every money movement.

Webhook signatures, duplicates and ordering are tested with the delivery tests; here a provider's
result arrives through the same signed path (``orders.tests.factories.capture``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone

from huoyuan.accounts.contracts import Role
from huoyuan.accounts.models import Membership
from huoyuan.accounts.selectors import actor_from_membership
from huoyuan.accounts.tests.factories import UserFactory
from huoyuan.catalogue.models import Category, Sku
from huoyuan.catalogue.tests.factories import make_product, sku
from huoyuan.core.models import AuditEvent
from huoyuan.ledger.contracts import AccountKind, AccountRef
from huoyuan.ledger.models import Entry, Transaction
from huoyuan.ledger.selectors import account_balance, ledger_check
from huoyuan.notifications.models import Notification
from huoyuan.orders import services as orders
from huoyuan.orders.models import Order, OrderEvent
from huoyuan.orders.tests.factories import (
    capture,
    completed_order,
    fail,
    orders_of,
    place,
    shipped_order,
    sku_of,
)
from huoyuan.payments import services
from huoyuan.payments.errors import (
    AmountMismatch,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from huoyuan.payments.models import Payment, Payout, PayoutAccount

if TYPE_CHECKING:
    from conftest import Person
    from huoyuan.accounts.contracts import Actor

pytestmark = pytest.mark.django_db


def money() -> dict[str, Any]:
    """Every record a money movement writes."""
    return {
        "payments": list(
            Payment.objects.order_by("pk").values_list(
                "reference", "status", "amount_minor", "external_reference", "matched_by_id"
            )
        ),
        "orders": list(
            Order.objects.order_by("pk").values_list("status", "paid_minor", "refunded_minor")
        ),
        "events": OrderEvent.objects.count(),
        "ledger": Transaction.objects.count(),
        "entries": Entry.objects.count(),
        "audit": AuditEvent.objects.count(),
        "payouts": list(
            Payout.objects.order_by("pk").values_list("status", "amount_minor", "paid_reference")
        ),
        "accounts": list(
            PayoutAccount.objects.order_by("pk").values_list(
                "holder_name", "bank_name", "account_number"
            )
        ),
        "notifications": Notification.objects.count(),
    }


def balance(kind: str, organization_id: int | None = None, key: str = "") -> int:
    return account_balance(ref=AccountRef(kind, "CNY", organization_id, key))


def audit_since(count: int) -> list[tuple[Any, ...]]:
    return list(
        AuditEvent.objects.order_by("pk")[count:].values_list(
            "action", "object_type", "actor_id", "organization_id", "before", "after"
        )
    )


@pytest.fixture
def buyer(buyer_x: Person) -> Actor:
    assert buyer_x.actor
    return buyer_x.actor


@pytest.fixture
def seller(supplier_a: Person) -> Actor:
    assert supplier_a.actor
    return supplier_a.actor


@pytest.fixture
def operator_actor(operator: Person) -> Actor:
    assert operator.actor
    return operator.actor


@pytest.fixture
def bowl(seller: Actor, category: Category) -> Sku:
    return sku_of(make_product(seller, category, skus=[sku("BOWL", stock=100)]))


def staff_of(person: Person) -> Actor:
    """A plain staff member of the person's organization."""
    membership = Membership.objects.create(
        user=UserFactory(), organization=person.organization, role=Role.STAFF
    )
    return actor_from_membership(membership)


# --- trying again ---------------------------------------------------------------------------------


def test_a_failed_payment_is_tried_again_for_the_orders_still_waiting(
    buyer: Actor, supplier_b: Person, bowl: Sku, category: Category
) -> None:
    assert supplier_b.actor
    cup = sku_of(make_product(supplier_b.actor, category, title_en="Cup", skus=[sku("CUP")]))
    submitted = place(buyer, [(bowl, 2), (cup, 4)])
    bowls, cups = orders_of(submitted)
    fail(submitted.payment)
    orders.order_cancel(actor=buyer, order_id=cups.pk, reason="Not needed after all")

    retry = services.payment_retry(actor=buyer, reference=submitted.payment.reference)

    assert retry.reference != submitted.payment.reference
    assert (
        retry.checkout_id,
        retry.provider,
        retry.status,
        retry.amount_minor,
        retry.currency,
    ) == (
        submitted.payment.checkout_id,
        "sandbox",
        "pending",
        2500,
        "CNY",
    )
    assert Payment.objects.get(pk=submitted.payment.pk).status == "failed"

    capture(retry)

    bowls.refresh_from_db()
    cups.refresh_from_db()
    assert (bowls.status, bowls.paid_minor) == ("paid", 2500)
    # The cancelled order was no part of this payment: nothing was taken for it or refunded.
    assert (cups.status, cups.paid_minor, cups.refunded_minor) == ("cancelled", 0, 0)
    assert not Entry.objects.filter(order_id=cups.pk).exists()
    assert not Notification.objects.filter(verb="payment.refunded_late").exists()
    assert balance(AccountKind.ESCROW) == 2500
    assert balance(AccountKind.PROVIDER_CLEARING, key="sandbox") == -2500
    assert ledger_check() == []


def test_only_a_failed_payment_may_be_tried_again(buyer: Actor, bowl: Sku) -> None:
    submitted = place(buyer, [(bowl, 2)])
    before = money()

    with pytest.raises(Conflict) as caught:
        services.payment_retry(actor=buyer, reference=submitted.payment.reference)

    assert str(caught.value.message) == "Only a failed payment can be tried again."
    assert money() == before


def test_no_retry_once_the_orders_no_longer_wait(buyer: Actor, bowl: Sku) -> None:
    submitted = place(buyer, [(bowl, 2)])
    fail(submitted.payment)
    orders.orders_expire_due(now=timezone.now() + timedelta(hours=1))
    before = money()

    with pytest.raises(Conflict) as caught:
        services.payment_retry(actor=buyer, reference=submitted.payment.reference)

    assert str(caught.value.message) == "These orders no longer wait for payment."
    assert money() == before


def test_another_buyers_payment_is_not_found(buyer: Actor, buyer_y: Person, bowl: Sku) -> None:
    assert buyer_y.actor
    submitted = place(buyer, [(bowl, 2)])
    fail(submitted.payment)
    before = money()

    with pytest.raises(NotFound):
        services.payment_retry(actor=buyer_y.actor, reference=submitted.payment.reference)

    assert money() == before


# --- bank transfers -------------------------------------------------------------------------------


def test_the_operator_matches_a_bank_transfer_and_its_orders_are_paid(
    buyer: Actor, seller: Actor, operator_actor: Actor, bowl: Sku
) -> None:
    submitted = place(buyer, [(bowl, 2)], method="bank_transfer")
    order = orders_of(submitted)[0]
    audits = AuditEvent.objects.count()

    payment = services.bank_transfer_match(
        actor=operator_actor,
        reference=f"  {submitted.payment.reference.lower()} ",
        amount_minor=2500,
        bank_reference=" ICBC 2026-0001 ",
    )

    assert (payment.status, payment.external_reference, payment.matched_by_id) == (
        "captured",
        "ICBC 2026-0001",
        operator_actor.user_id,
    )
    assert payment.captured_at is not None
    order.refresh_from_db()
    assert (order.status, order.paid_minor) == ("paid", 2500)
    assert OrderEvent.objects.filter(order=order).order_by("-pk").values_list(
        "from_status", "to_status", "party", "actor_id", "reason"
    )[0] == ("pending_payment", "paid", "operator", operator_actor.user_id, payment.reference)
    assert balance(AccountKind.ESCROW) == 2500
    assert balance(AccountKind.PROVIDER_CLEARING, key="bank_transfer") == -2500
    assert audit_since(audits) == [
        (
            "escrow.capture",
            "order",
            None,
            seller.organization_id,
            None,
            {"amount_minor": 2500, "currency": "CNY", "payment": payment.reference},
        ),
        (
            "payment.captured",
            "payment",
            operator_actor.user_id,
            buyer.organization_id,
            None,
            {"amount_minor": 2500, "currency": "CNY"},
        ),
    ]
    assert ledger_check() == []


@pytest.mark.parametrize("who", ["buyer_x", "supplier_a"])
def test_only_the_operator_matches_transfers(
    who: str, cast: dict[str, Person], buyer: Actor, bowl: Sku
) -> None:
    submitted = place(buyer, [(bowl, 2)], method="bank_transfer")
    actor = cast[who].actor
    assert actor
    before = money()

    with pytest.raises(PermissionDenied):
        services.bank_transfer_match(
            actor=actor,
            reference=submitted.payment.reference,
            amount_minor=2500,
            bank_reference="ICBC-1",
        )

    assert money() == before


def test_a_transfer_for_another_amount_is_not_matched(
    buyer: Actor, operator_actor: Actor, bowl: Sku
) -> None:
    submitted = place(buyer, [(bowl, 2)], method="bank_transfer")
    before = money()

    with pytest.raises(AmountMismatch) as caught:
        services.bank_transfer_match(
            actor=operator_actor,
            reference=submitted.payment.reference,
            amount_minor=2499,
            bank_reference="ICBC-1",
        )

    assert (caught.value.code, caught.value.field, str(caught.value.message)) == (
        "amount_mismatch",
        "amount",
        "The transfer is for a different amount than the payment expects; contact the buyer "
        "before matching it.",
    )
    assert money() == before


@pytest.mark.parametrize("kind", ["unknown", "sandbox"])
def test_an_unknown_transfer_reference_is_refused(
    kind: str, buyer: Actor, operator_actor: Actor, bowl: Sku
) -> None:
    card = place(buyer, [(bowl, 2)])  # a card payment is no bank transfer
    reference = card.payment.reference if kind == "sandbox" else "PAYNOSUCHREF"
    before = money()

    with pytest.raises(ValidationFailed) as caught:
        services.bank_transfer_match(
            actor=operator_actor, reference=reference, amount_minor=2500, bank_reference="ICBC-1"
        )

    assert (caught.value.field, str(caught.value.message)) == (
        "reference",
        "No bank-transfer payment has this reference.",
    )
    assert money() == before


def test_a_transfer_is_matched_once(buyer: Actor, operator_actor: Actor, bowl: Sku) -> None:
    submitted = place(buyer, [(bowl, 2)], method="bank_transfer")
    services.bank_transfer_match(
        actor=operator_actor,
        reference=submitted.payment.reference,
        amount_minor=2500,
        bank_reference="ICBC-1",
    )
    before = money()

    with pytest.raises(Conflict) as caught:
        services.bank_transfer_match(
            actor=operator_actor,
            reference=submitted.payment.reference,
            amount_minor=2500,
            bank_reference="ICBC-2",
        )

    assert str(caught.value.message) == "This payment was already matched or closed."
    assert money() == before


@pytest.mark.parametrize("bank_reference", ["", "   ", "x" * 81])
def test_a_match_needs_the_banks_reference(
    bank_reference: str, buyer: Actor, operator_actor: Actor, bowl: Sku
) -> None:
    submitted = place(buyer, [(bowl, 2)], method="bank_transfer")
    before = money()

    with pytest.raises(ValidationFailed) as caught:
        services.bank_transfer_match(
            actor=operator_actor,
            reference=submitted.payment.reference,
            amount_minor=2500,
            bank_reference=bank_reference,
        )

    assert (caught.value.field, str(caught.value.message)) == (
        "bank_reference",
        "Enter the bank's reference of the transfer.",
    )
    assert money() == before


# --- payout accounts ------------------------------------------------------------------------------


def test_the_payout_account_is_saved_and_audited_with_the_number_masked(
    supplier_a: Person, seller: Actor
) -> None:
    audits = AuditEvent.objects.count()

    account = services.payout_account_set(
        actor=seller,
        holder_name=" Supplier A Co. ",
        bank_name="Bank of Ningbo",
        account_number="6222 0000 1111 2222",
    )
    services.payout_account_set(
        actor=seller,
        holder_name="Supplier A Co.",
        bank_name="ICBC",
        account_number="6212 3333 4444 5555",
    )

    account.refresh_from_db()
    assert (account.holder_name, account.bank_name, account.account_number) == (
        "Supplier A Co.",
        "ICBC",
        "6212333344445555",
    )
    assert PayoutAccount.objects.count() == 1
    assert audit_since(audits) == [
        (
            "payout_account.set",
            "payout_account",
            seller.user_id,
            seller.organization_id,
            None,
            {
                "holder_name": "Supplier A Co.",
                "bank_name": "Bank of Ningbo",
                "account_number": "****2222",
            },
        ),
        (
            "payout_account.set",
            "payout_account",
            seller.user_id,
            seller.organization_id,
            {
                "holder_name": "Supplier A Co.",
                "bank_name": "Bank of Ningbo",
                "account_number": "****2222",
            },
            {"holder_name": "Supplier A Co.", "bank_name": "ICBC", "account_number": "****5555"},
        ),
    ]
    # The full number is nowhere in the audit trail.
    assert not AuditEvent.objects.filter(after__icontains="62220000").exists()


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"holder_name": "  "}, "holder_name", "Fill this in (at most 120 characters)."),
        ({"holder_name": "x" * 121}, "holder_name", "Fill this in (at most 120 characters)."),
        ({"bank_name": ""}, "bank_name", "Fill this in (at most 120 characters)."),
        ({"account_number": " "}, "account_number", "Fill this in (at most 40 characters)."),
        ({"account_number": "1" * 41}, "account_number", "Fill this in (at most 40 characters)."),
        (
            {"account_number": "6222-0000-1111"},
            "account_number",
            "An account number has letters and digits only.",
        ),
    ],
)
def test_a_bad_payout_account_is_refused_and_the_old_one_kept(
    seller: Actor, values: dict[str, str], field: str, message: str
) -> None:
    services.payout_account_set(
        actor=seller, holder_name="A", bank_name="ICBC", account_number="62220000"
    )
    before = money()
    data = {"holder_name": "A", "bank_name": "ICBC", "account_number": "62229999"} | values

    with pytest.raises(ValidationFailed) as caught:
        services.payout_account_set(actor=seller, **data)

    assert (caught.value.field, str(caught.value.message)) == (field, message)
    assert money() == before


def test_only_supplier_owners_and_admins_manage_payouts(
    supplier_a: Person, buyer: Actor, seller: Actor
) -> None:
    staff = staff_of(supplier_a)
    services.payout_account_set(
        actor=seller, holder_name="A", bank_name="ICBC", account_number="62220000"
    )
    before = money()

    for actor, message in (
        (staff, "Only the owner or an admin may manage payouts."),
        (buyer, "Switch to your supplier organization to do this."),
    ):
        with pytest.raises(PermissionDenied) as caught:
            services.payout_account_set(
                actor=actor, holder_name="B", bank_name="B", account_number="1"
            )
        assert str(caught.value.message) == message
        with pytest.raises(PermissionDenied):
            services.payout_request(actor=actor)

    assert money() == before


# --- payouts --------------------------------------------------------------------------------------


def _earn(buyer: Actor, seller: Actor, bowl: Sku) -> int:
    """One completed order of 2500: the supplier's available balance grows by 2425."""
    completed_order(buyer, seller, [(bowl, 2)])
    return 2500 - 75


def test_a_payout_needs_an_account(buyer: Actor, seller: Actor, bowl: Sku) -> None:
    _earn(buyer, seller, bowl)
    before = money()

    with pytest.raises(ValidationFailed) as caught:
        services.payout_request(actor=seller)

    assert str(caught.value.message) == "Add the bank account for payouts first."
    assert money() == before
    assert balance(AccountKind.SUPPLIER_AVAILABLE, seller.organization_id) == 2425


def test_a_payout_of_nothing_is_refused(seller: Actor) -> None:
    services.payout_account_set(
        actor=seller, holder_name="A", bank_name="ICBC", account_number="62220000"
    )
    before = money()

    with pytest.raises(Conflict) as caught:
        services.payout_request(actor=seller)

    assert str(caught.value.message) == "There is no available balance to pay out."
    assert money() == before


def test_a_payout_moves_the_whole_available_balance_and_the_operator_marks_it_paid_once(
    buyer: Actor, seller: Actor, supplier_b: Person, operator_actor: Actor, bowl: Sku
) -> None:
    earned = _earn(buyer, seller, bowl) + _earn(buyer, seller, bowl)
    services.payout_account_set(
        actor=seller, holder_name="A", bank_name="ICBC", account_number="62220000"
    )
    audits = AuditEvent.objects.count()

    payout = services.payout_request(actor=seller)

    assert (payout.supplier_id, payout.amount_minor, payout.currency, payout.status) == (
        seller.organization_id,
        earned,
        "CNY",
        "requested",
    )
    assert payout.requested_by_id == seller.user_id
    assert balance(AccountKind.SUPPLIER_AVAILABLE, seller.organization_id) == 0
    assert balance(AccountKind.SUPPLIER_PAYOUT_PENDING, seller.organization_id) == earned
    before = money()
    with pytest.raises(Conflict):
        services.payout_request(actor=seller)  # nothing left to pay out
    assert money() == before

    # Only the operator marks it paid, with the bank's reference.
    assert supplier_b.actor
    for actor in (seller, supplier_b.actor, buyer):
        with pytest.raises(PermissionDenied):
            services.payout_mark_paid(actor=actor, payout_id=payout.pk, reference="ICBC-9")
    for reference in ("", " ", "x" * 81):
        with pytest.raises(ValidationFailed):
            services.payout_mark_paid(
                actor=operator_actor, payout_id=payout.pk, reference=reference
            )
    with pytest.raises(NotFound):
        services.payout_mark_paid(actor=operator_actor, payout_id=999_999, reference="ICBC-9")
    assert money() == before

    paid = services.payout_mark_paid(
        actor=operator_actor, payout_id=payout.pk, reference=" ICBC-9 "
    )

    assert (paid.status, paid.paid_reference, paid.paid_by_id) == (
        "paid",
        "ICBC-9",
        operator_actor.user_id,
    )
    assert paid.paid_at is not None
    assert balance(AccountKind.SUPPLIER_PAYOUT_PENDING, seller.organization_id) == 0
    assert balance(AccountKind.PAYOUTS_SENT) == earned
    assert list(
        Transaction.objects.filter(reference__startswith=f"payout:{payout.pk}:")
        .order_by("pk")
        .values_list("kind", "reference", "created_by_id")
    ) == [
        ("payout_request", f"payout:{payout.pk}:request", seller.user_id),
        ("payout_paid", f"payout:{payout.pk}:paid", operator_actor.user_id),
    ]
    assert audit_since(audits) == [
        (
            "payout.request",
            "payout",
            seller.user_id,
            seller.organization_id,
            None,
            {"amount_minor": earned, "currency": "CNY"},
        ),
        (
            "payout.paid",
            "payout",
            operator_actor.user_id,
            seller.organization_id,
            None,
            {"amount_minor": earned, "reference": "ICBC-9"},
        ),
    ]
    assert list(
        Notification.objects.filter(verb="payout.paid").values_list("organization_id", "params")
    ) == [(seller.organization_id, {"id": payout.pk, "reference": "ICBC-9"})]

    before = money()
    with pytest.raises(Conflict) as caught:
        services.payout_mark_paid(actor=operator_actor, payout_id=payout.pk, reference="ICBC-10")
    assert str(caught.value.message) == "This payout is already marked paid."
    assert money() == before
    assert ledger_check() == []


def test_every_money_movement_leaves_ledger_entries_and_audit_rows(
    buyer: Actor, seller: Actor, operator_actor: Actor, bowl: Sku
) -> None:
    order = shipped_order(buyer, seller, [(bowl, 2)])
    orders.order_request_refund(actor=buyer, order_id=order.pk, amount_minor=500, reason="Chip")
    orders.order_resolve_refund(actor=seller, order_id=order.pk, amount_minor=500)
    services.payout_account_set(
        actor=seller, holder_name="A", bank_name="ICBC", account_number="62220000"
    )
    payout = services.payout_request(actor=seller)
    services.payout_mark_paid(actor=operator_actor, payout_id=payout.pk, reference="ICBC-1")

    commission = (2000 * 300 + 5000) // 10000  # 60
    assert payout.amount_minor == 2000 - commission
    assert list(Transaction.objects.order_by("pk").values_list("kind", flat=True)) == [
        "payment_capture",
        "refund",
        "release",
        "payout_request",
        "payout_paid",
    ]
    assert list(
        AuditEvent.objects.exclude(action="sku.stock_price_set")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == [
        "escrow.capture",
        "payment.captured",
        "escrow.refund",
        "escrow.release",
        "payout_account.set",
        "payout.request",
        "payout.paid",
    ]
    assert {
        kind: balance(kind, organization_id, key)
        for kind, organization_id, key in (
            (AccountKind.PROVIDER_CLEARING, None, "sandbox"),
            (AccountKind.ESCROW, None, ""),
            (AccountKind.SUPPLIER_AVAILABLE, seller.organization_id, ""),
            (AccountKind.SUPPLIER_PAYOUT_PENDING, seller.organization_id, ""),
            (AccountKind.PLATFORM_COMMISSION, None, ""),
            (AccountKind.PAYOUTS_SENT, None, ""),
        )
    } == {
        AccountKind.PROVIDER_CLEARING: -2000,
        AccountKind.ESCROW: 0,
        AccountKind.SUPPLIER_AVAILABLE: 0,
        AccountKind.SUPPLIER_PAYOUT_PENDING: 0,
        AccountKind.PLATFORM_COMMISSION: commission,
        AccountKind.PAYOUTS_SENT: 2000 - commission,
    }
    assert ledger_check() == []
