from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet, Sum

from huoyuan.ledger.contracts import AccountKind, AccountRef
from huoyuan.ledger.models import Account, Entry, Transaction


def account_balance(*, ref: AccountRef) -> int:
    lookup: dict[str, Any] = {
        "kind": ref.kind,
        "organization_id": ref.organization_id,
        "key": ref.key,
        "currency": ref.currency,
    }
    account = Account.objects.filter(**lookup).first()
    return account.balance_minor if account else 0


def balances_for_organization(*, organization_id: int) -> QuerySet[Account]:
    return Account.objects.filter(organization_id=organization_id).order_by("kind", "currency")


def entries_for_organization(*, organization_id: int) -> QuerySet[Entry]:
    """A supplier's ledger history: every movement on its own accounts, newest first."""
    return (
        Entry.objects.filter(account__organization_id=organization_id)
        .select_related("transaction", "account")
        .order_by("-pk")
    )


def transaction_list() -> QuerySet[Transaction]:
    """The operator's view of the whole ledger, newest first, with entries, their accounts and the
    accounts' owners (one query for all the entries of a page)."""
    entries = Entry.objects.select_related("account__organization")
    return Transaction.objects.prefetch_related(Prefetch("entries", queryset=entries)).order_by(
        "-pk"
    )


def account_list() -> QuerySet[Account]:
    return Account.objects.select_related("organization").order_by("kind", "currency", "pk")


def escrow_total(*, currency: str) -> int:
    return account_balance(ref=AccountRef(AccountKind.ESCROW, currency))


def ledger_check() -> list[str]:
    """Every transaction sums to zero and every balance equals the sum of its entries.

    Returns the problems found (empty when the books are right). Used by tests, the benchmark and
    ``huoyuan ledger check``.
    """
    problems = [
        f"transaction {row['transaction_id']} sums to {row['total']}"
        for row in Entry.objects.values("transaction_id", "currency")
        .annotate(total=Sum("amount_minor"))
        .exclude(total=0)
    ]
    sums = dict(
        Entry.objects.values("account_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("account_id", "total")
    )
    for account in Account.objects.all():
        if sums.get(account.pk, 0) != account.balance_minor:
            problems.append(
                f"account {account} holds {account.balance_minor}, "
                f"its entries sum to {sums.get(account.pk, 0)}"
            )
        if not account.may_go_negative and account.balance_minor < 0:
            problems.append(f"account {account} is negative")
    return problems
