"""Posting to the ledger. Callers own the database transaction (CONVENTIONS: outermost service)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import F

from huoyuan.ledger.contracts import EXTERNAL_KINDS, AccountRef, Posting
from huoyuan.ledger.errors import InsufficientFunds, Unbalanced
from huoyuan.ledger.models import Account, Entry, Transaction


def account_get_or_create(*, ref: AccountRef) -> Account:
    lookup: dict[str, Any] = {
        "kind": ref.kind,
        "organization_id": ref.organization_id,
        "key": ref.key,
        "currency": ref.currency,
    }
    account, _created = Account.objects.get_or_create(
        **lookup, defaults={"may_go_negative": ref.kind in EXTERNAL_KINDS}
    )
    return account


def transaction_post(
    *,
    kind: str,
    reference: str,
    postings: Sequence[Posting],
    memo: str = "",
    created_by_id: int | None = None,
) -> tuple[Transaction, bool]:
    """Write one balanced transaction; (existing, False) if ``reference`` was already posted.

    Accounts are locked in primary-key order (no deadlocks between concurrent postings), balances
    move by ``F()`` and an account that must stay positive refuses to go below zero.
    """
    lines = [p for p in postings if p.amount_minor != 0]
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        totals[line.account.currency] += line.amount_minor
    if not lines or any(totals.values()):
        raise Unbalanced()
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transaction_post must run inside transaction.atomic()")

    existing = Transaction.objects.filter(reference=reference).first()
    if existing is not None:
        return existing, False

    accounts = {line.account: account_get_or_create(ref=line.account) for line in lines}
    ids = sorted({a.pk for a in accounts.values()})
    locked = {
        a.pk: a for a in Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    # A concurrent post of the same reference (same accounts) held these locks until it
    # committed: look again under the locks, so the retry finds it instead of failing on the
    # unique reference (PostgreSQL, READ COMMITTED; SQLite's IMMEDIATE already serializes).
    existing = Transaction.objects.filter(reference=reference).first()
    if existing is not None:
        return existing, False

    deltas: dict[int, int] = defaultdict(int)
    for line in lines:
        deltas[accounts[line.account].pk] += line.amount_minor
    for pk, delta in deltas.items():
        account = locked[pk]
        if not account.may_go_negative and account.balance_minor + delta < 0:
            raise InsufficientFunds()

    posted = Transaction.objects.create(
        kind=kind, reference=reference, memo=memo[:255], created_by_id=created_by_id
    )
    running = {pk: a.balance_minor for pk, a in locked.items()}
    entries = []
    for line in lines:
        pk = accounts[line.account].pk
        running[pk] += line.amount_minor
        entries.append(
            Entry(
                transaction=posted,
                account_id=pk,
                amount_minor=line.amount_minor,
                currency=line.account.currency,
                order_id=line.order_id,
                balance_after_minor=running[pk],
            )
        )
    Entry.objects.bulk_create(entries)
    for pk in ids:
        Account.objects.filter(pk=pk).update(balance_minor=F("balance_minor") + deltas[pk])
    return posted, True
