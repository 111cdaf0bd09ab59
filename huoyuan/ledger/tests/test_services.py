"""transaction_post: balanced, idempotent by reference, balances that match their entries, no
overdraft where the books forbid it, and accounts locked in one order (no deadlocks)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from huoyuan.core.tests.concurrency import run_at_once, skip_unless_concurrent_database
from huoyuan.ledger.contracts import AccountKind, AccountRef, Posting, TransactionKind
from huoyuan.ledger.errors import InsufficientFunds, Unbalanced
from huoyuan.ledger.models import Account, Entry, Transaction
from huoyuan.ledger.selectors import account_balance, ledger_check
from huoyuan.ledger.services import account_get_or_create, transaction_post

CLEARING = AccountRef(AccountKind.PROVIDER_CLEARING, "CNY", key="sandbox")
ESCROW = AccountRef(AccountKind.ESCROW, "CNY")
COMMISSION = AccountRef(AccountKind.PLATFORM_COMMISSION, "CNY")
CLEARING_USD = AccountRef(AccountKind.PROVIDER_CLEARING, "USD", key="sandbox")
ESCROW_USD = AccountRef(AccountKind.ESCROW, "USD")


def post(reference: str, *lines: tuple[AccountRef, int], order_id: int | None = None) -> bool:
    with transaction.atomic():
        _txn, created = transaction_post(
            kind=TransactionKind.PAYMENT_CAPTURE,
            reference=reference,
            postings=[Posting(ref, amount, order_id) for ref, amount in lines],
        )
    return created


def capture(reference: str, amount: int) -> bool:
    """Money from the provider into escrow (the external clearing account goes negative)."""
    return post(reference, (CLEARING, -amount), (ESCROW, amount))


def books() -> tuple[int, int, list[tuple[str, int]]]:
    """What a refused posting must leave untouched."""
    balances = [(str(a), a.balance_minor) for a in Account.objects.order_by("pk")]
    return Transaction.objects.count(), Entry.objects.count(), balances


pytestmark = pytest.mark.django_db


# --- balanced ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param([(CLEARING, -100), (ESCROW, 90)], id="off-by-ten"),
        pytest.param([(ESCROW, 100)], id="one-sided"),
        pytest.param([], id="empty"),
        pytest.param([(ESCROW, 0), (CLEARING, 0)], id="only-zero-lines"),
        # Zero in total, but not per currency: yuan cannot pay for dollars.
        pytest.param([(CLEARING, -100), (ESCROW_USD, 100)], id="two-currencies"),
    ],
)
def test_refuses_an_unbalanced_transaction_and_writes_nothing(
    lines: list[tuple[AccountRef, int]],
) -> None:
    capture("seed", 500)
    before = books()

    with pytest.raises(Unbalanced) as raised:
        post("unbalanced", *lines)

    assert raised.value.code == "ledger_unbalanced"
    assert books() == before
    assert not Transaction.objects.filter(reference="unbalanced").exists()


def test_balances_per_currency() -> None:
    assert post("two", (CLEARING, -100), (ESCROW, 100), (CLEARING_USD, -7), (ESCROW_USD, 7))

    assert account_balance(ref=ESCROW) == 100
    assert account_balance(ref=ESCROW_USD) == 7
    assert sorted(
        Entry.objects.filter(transaction__reference="two").values_list("currency", "amount_minor")
    ) == [("CNY", -100), ("CNY", 100), ("USD", -7), ("USD", 7)]
    assert ledger_check() == []


def test_zero_lines_are_left_out() -> None:
    assert post("with-zero", (CLEARING, -100), (ESCROW, 100), (COMMISSION, 0))

    assert Entry.objects.filter(transaction__reference="with-zero").count() == 2
    assert not Account.objects.filter(kind=AccountKind.PLATFORM_COMMISSION).exists()


@pytest.mark.django_db(transaction=True)  # the plain db fixture wraps each test in a transaction
def test_refuses_to_post_outside_a_database_transaction() -> None:
    with pytest.raises(RuntimeError, match="inside transaction.atomic"):
        transaction_post(
            kind=TransactionKind.PAYMENT_CAPTURE,
            reference="loose",
            postings=[Posting(CLEARING, -1), Posting(ESCROW, 1)],
        )
    assert Transaction.objects.count() == 0
    assert Account.objects.count() == 0


# --- idempotent by reference ------------------------------------------------------------------


def test_a_reference_is_posted_once() -> None:
    assert capture("capture:1", 1250) is True
    before = books()

    assert capture("capture:1", 1250) is False
    # The reference decides: a retry with other amounts still finds the first posting.
    assert capture("capture:1", 9999) is False

    assert books() == before
    assert account_balance(ref=ESCROW) == 1250
    first = Transaction.objects.get(reference="capture:1")
    with transaction.atomic():
        again, created = transaction_post(
            kind=TransactionKind.PAYMENT_CAPTURE,
            reference="capture:1",
            postings=[Posting(CLEARING, -1250), Posting(ESCROW, 1250)],
        )
    assert (again.pk, created) == (first.pk, False)


def test_the_database_refuses_a_second_transaction_with_one_reference() -> None:
    capture("capture:2", 10)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transaction.objects.create(kind=TransactionKind.PAYMENT_CAPTURE, reference="capture:2")


# --- balances -------------------------------------------------------------------------------


def test_balance_is_the_sum_of_entries_and_balance_after_runs_with_them() -> None:
    capture("c1", 1000)
    capture("c2", 250)
    post("split", (ESCROW, -600), (COMMISSION, 18), (ESCROW, 18), (CLEARING, 564))
    capture("c3", 1)

    escrow = Account.objects.get(kind=AccountKind.ESCROW)
    assert escrow.balance_minor == 1000 + 250 - 600 + 18 + 1 == 669
    for account in Account.objects.all():
        running = 0
        for amount, after in account.entries.order_by("pk").values_list(
            "amount_minor", "balance_after_minor"
        ):
            running += amount
            assert after == running
        assert running == account.balance_minor
    # One account twice in one transaction: each line's balance_after counts the one before.
    assert list(
        escrow.entries.filter(transaction__reference="split")
        .order_by("pk")
        .values_list("amount_minor", "balance_after_minor")
    ) == [(-600, 650), (18, 668)]
    assert ledger_check() == []


def test_entries_carry_the_order_they_belong_to() -> None:
    post("o", (CLEARING, -5), (ESCROW, 5), order_id=42)

    assert set(Entry.objects.values_list("order_id", flat=True)) == {42}


def test_ledger_check_reports_a_balance_that_drifted_from_its_entries() -> None:
    capture("c", 100)
    Account.objects.filter(kind=AccountKind.ESCROW).update(balance_minor=99)

    assert ledger_check() == ["account escrow CNY holds 99, its entries sum to 100"]


# --- no overdraft -----------------------------------------------------------------------------


def test_refuses_to_overdraw_an_account_that_must_stay_positive() -> None:
    capture("c", 100)
    before = books()

    with transaction.atomic():  # the caller's transaction goes on after the refusal
        with pytest.raises(InsufficientFunds) as raised:
            transaction_post(
                kind=TransactionKind.REFUND,
                reference="too-much",
                postings=[Posting(ESCROW, -101), Posting(CLEARING, 101)],
            )
        assert books() == before

    assert raised.value.code == "insufficient_funds"
    assert books() == before
    assert not Transaction.objects.filter(reference="too-much").exists()


def test_may_empty_an_account_to_exactly_zero() -> None:
    capture("c", 100)

    assert post("all", (ESCROW, -100), (CLEARING, 100))

    assert account_balance(ref=ESCROW) == 0
    assert ledger_check() == []


def test_external_accounts_may_go_negative() -> None:
    capture("c", 100)

    clearing = Account.objects.get(kind=AccountKind.PROVIDER_CLEARING)
    assert (clearing.balance_minor, clearing.may_go_negative) == (-100, True)
    assert Account.objects.get(kind=AccountKind.ESCROW).may_go_negative is False


def test_the_database_refuses_a_negative_balance_too() -> None:
    capture("c", 100)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(kind=AccountKind.ESCROW).update(balance_minor=-1)

    assert account_balance(ref=ESCROW) == 100


def test_an_account_is_created_once_per_owner_kind_key_and_currency() -> None:
    with transaction.atomic():
        first = account_get_or_create(ref=CLEARING)
        again = account_get_or_create(ref=CLEARING)
        other_key = account_get_or_create(
            ref=AccountRef(AccountKind.PROVIDER_CLEARING, "CNY", key="bank_transfer")
        )
    assert first.pk == again.pk != other_key.pk
    assert Account.objects.count() == 2


# --- locks ------------------------------------------------------------------------------------


def test_locks_every_account_of_a_posting_in_one_statement_in_primary_key_order() -> None:
    refs = [COMMISSION, ESCROW, CLEARING]
    with transaction.atomic():
        ids = sorted(account_get_or_create(ref=ref).pk for ref in refs)
    capture("c", 300)

    with CaptureQueriesContext(connection) as queries:
        # Lines name the accounts out of pk order; the lock still goes in pk order.
        post("release", (COMMISSION, 9), (ESCROW, -300), (CLEARING, 291))

    account_table = Account._meta.db_table
    locks = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT")
        and f'FROM "{account_table}"' in q["sql"]
        and "IN (" in q["sql"]
    ]
    assert len(locks) == 1
    assert (
        locks[0].rstrip().split("ORDER BY", 1)[1].strip().startswith(f'"{account_table}"."id" ASC')
    )
    listed = locks[0].split(" IN (", 1)[1].split(")", 1)[0]
    assert sorted(int(pk) for pk in listed.split(",")) == ids
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in locks[0]


@pytest.mark.django_db(transaction=True)
def test_concurrent_postings_over_the_same_accounts_in_opposite_orders_do_not_deadlock() -> None:
    skip_unless_concurrent_database()
    capture("seed", 10_000)
    a = AccountRef(AccountKind.SUPPLIER_AVAILABLE, "CNY", organization_id=None, key="a")
    b = AccountRef(AccountKind.SUPPLIER_AVAILABLE, "CNY", organization_id=None, key="b")
    post("fund", (ESCROW, -10_000), (a, 5_000), (b, 5_000))

    def mover(name: str, source: AccountRef, target: AccountRef) -> Callable[[], int]:
        def run() -> int:
            for n in range(40):
                post(f"{name}:{n}", (source, -7), (target, 7))
            return 40

        return run

    # Each thread names the accounts in the opposite order: locking in line order would deadlock.
    assert (
        run_at_once([mover(f"t{i}", *((a, b) if i % 2 else (b, a))) for i in range(8)]) == [40] * 8
    )
    assert account_balance(ref=a) + account_balance(ref=b) == 10_000
    assert account_balance(ref=a) == 5_000  # four threads each way, 40 x 7 each
    assert Transaction.objects.count() == 2 + 8 * 40
    assert ledger_check() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_of_one_reference_write_it_once() -> None:
    skip_unless_concurrent_database()

    results = run_at_once([lambda: capture("capture:race", 1250) for _i in range(8)])

    assert sorted(results) == [False] * 7 + [True]
    assert Transaction.objects.filter(reference="capture:race").count() == 1
    assert account_balance(ref=ESCROW) == 1250
    assert ledger_check() == []
