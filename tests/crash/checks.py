"""The checks a restarted server makes: acknowledgements kept, books balanced, stock, locks."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from django.db import OperationalError, connection, transaction
from django.db.models import F, Sum

from huoyuan.catalogue.models import Sku
from huoyuan.core.models import AuditEvent
from huoyuan.ledger.contracts import AccountKind, AccountRef
from huoyuan.ledger.models import Account, Entry, Transaction
from huoyuan.ledger.selectors import account_balance, ledger_check
from huoyuan.orders.contracts import TRANSITIONS
from huoyuan.orders.models import CartLine, Order, OrderLine
from huoyuan.orders.selectors import escrow_held
from huoyuan.payments.models import Payment, Payout, WebhookEvent
from tests.crash.notices import check_notifications
from tests.crash.state import CURRENCY


def _reachable() -> dict[str, set[str]]:
    """status -> every status an order may be in later (itself included)."""
    reach: dict[str, set[str]] = {}
    for start in TRANSITIONS:
        seen, todo = {start}, [start]
        while todo:
            for nxt in TRANSITIONS[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        reach[start] = seen
    return reach


def read_acks(data: Path) -> list[list[str]]:
    path = data / "acks"
    if not path.exists():
        return []
    lines = [line.split() for line in path.read_text(encoding="utf-8").splitlines()]
    return [words[:-1] for words in lines if words[-1:] == ["."]]  # whole lines only


def _check_acks(acks: list[list[str]], problems: list[str]) -> None:
    reach = _reachable()
    order_rows = {o.pk: o for o in Order.objects.all()}
    payment_rows = {p.reference: p for p in Payment.objects.all()}
    payout_rows = {p.pk: p for p in Payout.objects.all()}
    acked_later = {
        "received": "completed",
        "refund_requested": "refund_requested",
        "declined": "shipped",
        "cancelled": "cancelled",
    }

    def order_at(pk: str, status: str, what: str) -> None:
        order = order_rows.get(int(pk))
        if order is None:
            problems.append(f"{what}: order {pk} is gone")
        elif order.status not in reach[status]:
            problems.append(f"{what}: order {pk} is {order.status}, acknowledged {status}")

    for words in acks:
        kind, args = words[1], words[2:]
        what = " ".join(words)
        if kind == "placed":
            payment = payment_rows.get(args[0])
            if payment is None or payment.amount_minor != int(args[1]):
                problems.append(f"{what}: payment missing or changed")
            for pair in args[2].split(","):
                pk, number = pair.split(":")
                order_at(pk, "pending_payment", what)
                if pk.isdigit() and int(pk) in order_rows and order_rows[int(pk)].number != number:
                    problems.append(f"{what}: order {pk} has another number")
        elif kind in ("webhook", "matched", "retried"):
            payment = payment_rows.get(args[0])
            wanted = "captured" if kind == "matched" else args[-1]
            if payment is None:
                problems.append(f"{what}: payment is gone")
            elif wanted in ("captured", "failed") and payment.status != wanted:
                problems.append(f"{what}: payment is {payment.status}")
        elif kind == "shipped":
            order_at(args[0], "shipped" if args[1] == "full" else "paid", what)
        elif kind in acked_later:
            order_at(args[0], acked_later[kind], what)
        elif kind == "resolved":
            order_at(args[0], args[1], what)
        elif kind in ("payout", "payout_paid"):
            payout = payout_rows.get(int(args[0]))
            if payout is None:
                problems.append(f"{what}: payout is gone")
            elif kind == "payout" and payout.amount_minor != int(args[1]):
                problems.append(f"{what}: payout amount changed")
            elif kind == "payout_paid" and payout.status != "paid":
                problems.append(f"{what}: payout is {payout.status}")


def _check_ledger(problems: list[str]) -> None:
    problems.extend(ledger_check())
    escrow = account_balance(ref=AccountRef(AccountKind.ESCROW, CURRENCY))
    if escrow != escrow_held(currency=CURRENCY):
        problems.append(f"escrow {escrow} != held by orders {escrow_held(currency=CURRENCY)}")
    entries = Counter(Entry.objects.values_list("transaction_id", flat=True))
    running: Counter[int] = Counter()
    moved: Counter[tuple[int | None, str]] = Counter()  # (order, kind) -> escrow movement
    for txn, kind, account, account_kind, amount, after, order_id in Entry.objects.order_by(
        "pk"
    ).values_list(
        "transaction_id",
        "transaction__kind",
        "account_id",
        "account__kind",
        "amount_minor",
        "balance_after_minor",
        "order_id",
    ):
        running[account] += amount
        if running[account] != after:
            problems.append(f"entry of transaction {txn}: balance after {after}, running total")
        if account_kind == AccountKind.ESCROW:
            moved[(order_id, kind)] += amount
    problems.extend(
        f"transaction {pk} ({kind}) has {entries[pk]} entries"
        for pk, kind in Transaction.objects.values_list("pk", "kind")
        if entries[pk] < 2
    )
    for order in Order.objects.all():
        books = (order.paid_minor, -order.refunded_minor, -order.released_minor)
        ledger = tuple(moved[(order.pk, k)] for k in ("payment_capture", "refund", "release"))
        if books != ledger:
            problems.append(f"order {order.pk}: books {books}, escrow ledger {ledger}")
    refs = set(Transaction.objects.values_list("reference", flat=True))
    for payout in Payout.objects.all():
        expected = {f"payout:{payout.pk}:request"} | (
            {f"payout:{payout.pk}:paid"} if payout.status == "paid" else set()
        )
        posted = {r for r in refs if r.startswith(f"payout:{payout.pk}:")}
        if posted != expected:
            problems.append(f"payout {payout.pk} ({payout.status}): posted {sorted(posted)}")
    kinds = Counter(Transaction.objects.values_list("kind", flat=True))
    audits = Counter(AuditEvent.objects.values_list("action", flat=True))
    for action, count in (
        ("escrow.capture", kinds["payment_capture"]),
        ("escrow.refund", kinds["refund"]),
        ("escrow.release", kinds["release"]),
        ("payout.request", kinds["payout_request"]),
        ("payout.paid", kinds["payout_paid"]),
        ("payment.captured", Payment.objects.filter(status="captured").count()),
    ):
        if audits[action] != count:
            problems.append(f"{audits[action]} {action} audit rows for {count} movements")
    # Money in equals money booked: a captured payment's orders took exactly its amount.
    captured = dict(
        Payment.objects.filter(status="captured").values_list("checkout_id", "amount_minor")
    )
    booked: Counter[int] = Counter()
    for checkout_id, paid in Order.objects.values_list("checkout_id", "paid_minor"):
        booked[checkout_id] += paid
    problems.extend(
        f"checkout {pk}: payment captured {captured.get(pk, 0)}, orders booked {booked[pk]}"
        for pk in sorted(set(captured) | {k for k, v in booked.items() if v})
        if captured.get(pk, 0) != booked[pk]
    )
    # A checkout is orders and their payment together; a webhook's record and its effect too.
    unpaid = set(Order.objects.values_list("checkout_id", flat=True)) - set(
        Payment.objects.values_list("checkout_id", flat=True)
    )
    problems.extend(f"checkout {pk} has orders but no payment" for pk in sorted(unpaid))
    problems.extend(
        f"webhook {event_id} recorded without its outcome"
        for event_id in WebhookEvent.objects.filter(signature_valid=True, result="").values_list(
            "event_id", flat=True
        )
    )
    heard = set(
        WebhookEvent.objects.filter(
            event_type="payment.succeeded", result__startswith="captured"
        ).values_list("payment_reference", flat=True)
    )
    problems.extend(
        f"payment {reference} captured without its webhook"
        for reference in Payment.objects.filter(status="captured", provider="sandbox")
        .exclude(reference__in=heard)
        .values_list("reference", flat=True)
    )


def _check_stock(world: dict[str, Any], problems: list[str]) -> None:
    open_lines = OrderLine.objects.filter(order__status__in=["pending_payment", "paid"])
    held = dict(
        open_lines.values("sku_id")
        .annotate(n=Sum(F("quantity") - F("shipped_quantity")))
        .values_list("sku_id", "n")
    )
    shipped = dict(
        OrderLine.objects.values("sku_id")
        .annotate(n=Sum("shipped_quantity"))
        .values_list("sku_id", "n")
    )
    for pk, stock, reserved, sold in Sku.objects.values_list("pk", "stock", "reserved", "sold"):
        initial = world["initial_stock"][str(pk)]
        if min(stock, reserved, sold) < 0 or stock + reserved + sold != initial:
            problems.append(f"sku {pk}: {stock}+{reserved}+{sold} != {initial}")
        if reserved != (held.get(pk) or 0) or sold != (shipped.get(pk) or 0):
            problems.append(
                f"sku {pk}: reserved {reserved} sold {sold}, orders hold {held.get(pk)} "
                f"shipped {shipped.get(pk)}"
            )


def _check_locks_free(problems: list[str]) -> None:
    """A write transaction over every contested row gets through: nothing waits for the dead."""
    try:
        with transaction.atomic():  # SQLite: BEGIN IMMEDIATE takes the write lock
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '15s'")
            for model in (Sku, Order, Payment, Payout, Account, CartLine):
                list(model.objects.select_for_update().values_list("pk", flat=True))
    except OperationalError as error:
        problems.append(f"rows still locked after the kill: {error}")


def check(data: Path, *, drain: bool = False) -> dict[str, Any]:
    world = json.loads((data / "seed.json").read_text())
    problems: list[str] = []
    acks = read_acks(data)
    _check_locks_free(problems)
    _check_acks(acks, problems)
    _check_ledger(problems)
    _check_stock(world, problems)
    counts = check_notifications(data, problems, drain=drain)
    counts.update(
        acks=sum(1 for a in acks if a[1] != "refused"),
        orders=Order.objects.count(),
        completed=Order.objects.filter(status="completed").count(),
    )
    return {"problems": problems[:30], "problem_count": len(problems), "counts": counts}
