"""The program tests/test_crash_safety.py runs and kills: a marketplace server's trading work.

    python -m tests.crash_driver setup DIR          migrate the database the environment names, seed
    python -m tests.crash_driver run DIR SEED FIRST check; then fork one worker per "next" on stdin

A worker trades without pause through the real services: checkout, signed sandbox webhooks (some
delivered twice, some late or out of order), bank transfers matched by the operator, shipping
(some partial), receipt and escrow release, refunds, cancellations, the expiry and auto-confirm
sweeps, payouts requested and paid. When a service call returns (its transaction committed) the
worker appends an acknowledgement to DIR/acks and fsyncs it, as a server answers its client.

The test SIGKILLs the worker at a random moment. The parent then reports how the worker died and
what it was doing (a byte the worker keeps in shared memory), looks at the database as a restarted
server would, and reports every broken invariant found (JSON lines on stdout). Forking workers
from one set-up process keeps 200 kills affordable (a fresh interpreter with Django costs about a
second); the test also kills whole driver processes and starts new ones.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import mmap
import os
import random
import sys
import traceback
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()  # once per driver: the workers are forked from it, set up and imported

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.mail.backends.base import BaseEmailBackend  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import OperationalError, connection, connections, transaction  # noqa: E402
from django.db.models import F, Sum  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone, translation  # noqa: E402

from huoyuan.accounts.contracts import Actor, OrganizationKind  # noqa: E402
from huoyuan.accounts.selectors import (  # noqa: E402
    actor_from_membership,
    membership_list_for_user,
    organization_notify_emails,
)
from huoyuan.accounts.services import operator_organization_create, user_signup  # noqa: E402
from huoyuan.catalogue.contracts import PriceBreak, ProductInput, SkuInput  # noqa: E402
from huoyuan.catalogue.models import Category, Sku  # noqa: E402
from huoyuan.catalogue.services import product_create  # noqa: E402
from huoyuan.core.errors import DomainError  # noqa: E402
from huoyuan.core.models import AuditEvent  # noqa: E402
from huoyuan.ledger.contracts import AccountKind, AccountRef  # noqa: E402
from huoyuan.ledger.models import Account, Entry, Transaction  # noqa: E402
from huoyuan.ledger.selectors import account_balance, ledger_check  # noqa: E402
from huoyuan.notifications import tasks as notifications_tasks  # noqa: E402
from huoyuan.notifications.models import Notification  # noqa: E402
from huoyuan.notifications.services import (  # noqa: E402
    notification_text,
    notifications_email_pending,
)
from huoyuan.orders import services as orders  # noqa: E402
from huoyuan.orders.contracts import TRANSITIONS  # noqa: E402
from huoyuan.orders.lifecycle import MESSAGES  # noqa: E402
from huoyuan.orders.models import CartLine, Order, OrderEvent, OrderLine, TradeSettings  # noqa: E402
from huoyuan.orders.selectors import escrow_held  # noqa: E402
from huoyuan.payments import services as payments  # noqa: E402
from huoyuan.payments import tasks as payments_tasks  # noqa: E402
from huoyuan.payments.adapters import SIGNATURE_HEADER, sign  # noqa: E402
from huoyuan.payments.models import Payment, Payout, WebhookEvent  # noqa: E402
from huoyuan.payments.sandbox import event_body  # noqa: E402

# Where the worker is when it dies (the byte at DIR/state): in its own code (reads included), in a
# service call but outside a transaction, inside a transaction, committing, writing its ack.
IDLE, SERVICE, TXN, COMMIT, ACK = range(5)
STATE_NAMES = ["idle", "service", "txn", "commit", "ack"]
STATE: Any = bytearray(1)  # main() maps DIR/state over it
CURRENCY = "CNY"


class Mailbox(BaseEmailBackend):
    """An email backend standing for the mail server: what it accepted survives our crash."""

    def send_messages(self, messages: list[Any]) -> int:
        with open(os.environ["CRASH_MAILBOX"], "a", encoding="utf-8") as box:
            for message in messages:
                box.write(json.dumps({"to": list(message.to), "body": message.body}) + "\n")
                box.flush()  # written to the kernel: a SIGKILL of this process keeps it
        return len(messages)


# --- seeding -----------------------------------------------------------------------------------


def setup(data: Path) -> None:
    call_command("migrate", verbosity=0)
    unusable = make_password(None)

    def person(local: str, kind: str | None) -> Any:
        user = user_signup(
            email=f"{local}@crash.test",
            password="",
            password_hash=unusable,
            display_name=local,
            organization_kind=kind,
            organization_name=f"{local} Co." if kind else "",
        )
        if kind is None:
            operator_organization_create(user=user, name="Operator")
        return actor_from_membership(membership_list_for_user(user=user).first())  # type: ignore[arg-type]

    operator = person("operator", None)
    suppliers = [person(f"supplier{i}", OrganizationKind.SUPPLIER) for i in (1, 2)]
    buyers = [person(f"buyer{i}", OrganizationKind.BUYER) for i in (1, 2, 3)]
    category = Category.objects.create(
        slug="crash", name_zh_hans="碗", name_en="Bowls", name_de="Schalen", path="0001."
    )
    for index, supplier in enumerate(suppliers):
        ladder = [PriceBreak(1, 1250 + 100 * index), PriceBreak(10, 1100), PriceBreak(100, 990)]
        product_create(
            actor=supplier,
            publish=True,
            data=ProductInput(
                category_id=category.pk,
                title_zh_hans=f"陶瓷碗 {index}",
                title_en=f"Ceramic bowl {index}",
                title_de=f"Keramikschale {index}",
                skus=[
                    SkuInput(f"BOWL{index}-A", {"colour": "Red"}, 1_000_000, 1, ladder),
                    # Scarce: checkouts run it out, cancellations and expiry bring units back.
                    SkuInput(f"BOWL{index}-B", {"colour": "Blue"}, 300, 1, ladder),
                ],
            ),
        )
        payments.payout_account_set(
            actor=supplier,
            holder_name=f"supplier{index + 1}",
            bank_name="Demo Bank",
            account_number=f"62220000{index:08d}",
        )
    addresses = {
        buyer.organization_id: orders.address_create(
            actor=buyer,
            data=orders.AddressInput(
                recipient="王小明", phone="13800000000", city="杭州", street="文三路"
            ),
        ).pk
        for buyer in buyers
    }
    TradeSettings.objects.update_or_create(
        pk=1, defaults={"max_unpaid_orders_per_buyer": 100_000, "max_unpaid_share_percent": 100}
    )
    world = {
        "operator": dataclasses.asdict(operator),
        "suppliers": [dataclasses.asdict(a) for a in suppliers],
        "buyers": [dataclasses.asdict(a) for a in buyers],
        "addresses": addresses,
        "initial_stock": {str(pk): stock for pk, stock in Sku.objects.values_list("pk", "stock")},
    }
    (data / "seed.json").write_text(json.dumps(world))


# --- the worker --------------------------------------------------------------------------------


class Worker:
    def __init__(self, data: Path, world: dict[str, Any], rng: random.Random, number: int) -> None:
        self.rng, self.number = rng, number
        self.operator = Actor(**world["operator"])
        self.suppliers = [Actor(**a) for a in world["suppliers"]]
        self.buyers = [Actor(**a) for a in world["buyers"]]
        self.by_org = {a.organization_id: a for a in [*self.suppliers, *self.buyers]}
        self.addresses = {int(k): v for k, v in world["addresses"].items()}
        self.skus = sorted(int(pk) for pk in world["initial_stock"])
        self.acks = open(data / "acks", "a+", encoding="utf-8")  # noqa: SIM115 - lives until killed
        # End a line the last worker was killed in the middle of: read_acks skips it (no " .").
        if self.acks.tell() and (data / "acks").read_bytes()[-1:] != b"\n":
            self.acks.write("\n")

    def write(self, *words: object, durable: bool = True) -> None:
        STATE[0] = ACK
        self.acks.write(" ".join(str(w) for w in (self.number, *words, ".\n")))  # one write()
        self.acks.flush()
        if durable:
            os.fsync(self.acks.fileno())
        STATE[0] = IDLE

    def call(self, service: Any, **kwargs: Any) -> Any:
        """Run one service; a refusal (a domain error) is noted, not acknowledged."""
        STATE[0] = SERVICE
        try:
            return service(**kwargs)
        except DomainError as error:
            self.write("refused", service.__name__, error.code, durable=False)
            return None
        finally:
            STATE[0] = IDLE

    def pick(self, queryset: Any) -> Any:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:40])
        return queryset.model.objects.get(pk=self.rng.choice(ids)) if ids else None

    def loop(self) -> None:
        actions = [
            (self.checkout, 3),
            (self.webhooks, 4),
            (self.bank_match, 1),
            (self.after_failure, 1),
            (self.cancel, 0.4),
            (self.ship, 3),
            (self.receive, 3),
            (self.refund_decide, 1.5),
            (self.sweep, 0.3),
            (self.payout, 0.7),
            (self.payout_paid, 0.7),
            (self.replay, 0.5),
        ]
        functions, weights = zip(*actions, strict=True)
        while True:
            action = self.rng.choices(functions, weights)[0]
            if action() is False:
                self.checkout()

    # Each action returns False when it found nothing to do.

    def checkout(self) -> None:
        buyer = self.rng.choice(self.buyers)
        for _i in range(self.rng.randint(1, 3)):
            sku = self.rng.choice(self.skus)
            self.call(orders.cart_add, actor=buyer, sku_id=sku, quantity=self.rng.randint(1, 30))
        quote = orders.cart_quote(actor=buyer)
        if not quote.lines:
            return
        if not quote.ok:  # a scarce SKU ran out: empty the cart and go on
            for line in quote.lines:
                self.call(orders.cart_remove, actor=buyer, line_id=line.line_id)
            return
        submitted = self.call(
            payments.checkout_submit,
            actor=buyer,
            address_id=self.addresses[buyer.organization_id],
            payment_method="bank_transfer" if self.rng.random() < 0.15 else "sandbox",
            quote_token=quote.token,
        )
        if submitted is None:
            for line in orders.cart_quote(actor=buyer).lines:
                self.call(orders.cart_remove, actor=buyer, line_id=line.line_id)
            return
        numbers = dict(Order.objects.filter(pk__in=submitted.order_ids).values_list("pk", "number"))
        placed = ",".join(f"{pk}:{numbers[pk]}" for pk in submitted.order_ids)
        self.write("placed", submitted.payment.reference, submitted.payment.amount_minor, placed)

    def deliver(self, payment: Any, event_type: str) -> None:
        body = event_body(payment, event_type)
        result = self.call(
            payments.webhook_receive,
            provider="sandbox",
            body=body,
            headers={SIGNATURE_HEADER: sign(body), "Content-Type": "application/json"},
        )
        if result is not None:
            # "captured; 2 orders paid, 0 refunded (late)" -> captured, "payment failed" -> failed
            outcome = result.split(";")[0].split(":")[0].removeprefix("payment ")
            self.write("webhook", payment.reference, event_type, outcome.replace(" ", "_"))

    def webhooks(self) -> bool | None:
        payment = self.pick(
            Payment.objects.filter(provider="sandbox", status__in=["pending", "processing"])
        )
        if payment is None:
            return False
        outcome = "payment.succeeded" if self.rng.random() < 0.85 else "payment.failed"
        events = ["payment.processing", outcome] if self.rng.random() < 0.7 else [outcome]
        if self.rng.random() < 0.2:
            events.reverse()  # the result before "processing"
        if self.rng.random() < 0.2:
            events.append(outcome)  # delivered twice
        for event_type in events:
            self.deliver(payment, event_type)
        return None

    def replay(self) -> bool | None:
        """An old delivery again: the provider retries what it believes we did not get."""
        payment = self.pick(Payment.objects.filter(provider="sandbox", status="captured"))
        if payment is None:
            return False
        self.deliver(payment, "payment.succeeded")
        return None

    def bank_match(self) -> bool | None:
        payment = self.pick(Payment.objects.filter(provider="bank_transfer", status="pending"))
        if payment is None:
            return False
        if self.call(
            payments.bank_transfer_match,
            actor=self.operator,
            reference=payment.reference,
            amount_minor=payment.amount_minor,
            bank_reference=f"BANK{payment.pk}",
        ):
            self.write("matched", payment.reference)
        return None

    def after_failure(self) -> bool | None:
        """A card payment failed: give up some or all of the orders, try again for the rest."""
        live = Payment.objects.filter(status__in=["pending", "processing", "captured"])
        failed = Payment.objects.filter(status="failed").exclude(
            checkout_id__in=live.values("checkout_id")
        )
        payment = self.pick(
            failed.filter(
                checkout_id__in=Order.objects.filter(status="pending_payment").values("checkout_id")
            )
        )
        if payment is None:
            return False
        buyer = self.by_org[payment.buyer_id]
        waiting = list(
            Order.objects.filter(checkout_id=payment.checkout_id, status="pending_payment")
        )
        retry = self.rng.random() < 0.6
        for order in waiting[: self.rng.randint(0, len(waiting) - 1)] if retry else waiting:
            if self.call(
                orders.order_cancel, actor=buyer, order_id=order.pk, reason="payment failed"
            ):
                self.write("cancelled", order.pk)
        if retry:
            retried = self.call(payments.payment_retry, actor=buyer, reference=payment.reference)
            if retried:
                self.write("retried", retried.reference, retried.amount_minor)
        return None

    def cancel(self) -> bool | None:
        """A buyer gives up an order: unpaid (its payment may still arrive: refunded late), or
        paid and not shipped (refunded from escrow)."""
        status = self.rng.choice(["pending_payment", "paid"])
        shipped = OrderLine.objects.filter(shipped_quantity__gt=0).values("order_id")
        order = self.pick(Order.objects.filter(status=status).exclude(pk__in=shipped))
        if order is None:
            return False
        actor = self.by_org[order.buyer_id]
        if self.call(orders.order_cancel, actor=actor, order_id=order.pk, reason="changed my mind"):
            self.write("cancelled", order.pk)
        return None

    def ship(self) -> bool | None:
        order = self.pick(Order.objects.filter(status="paid"))
        if order is None:
            return False
        quantities = None
        if self.rng.random() < 0.25:
            line = OrderLine.objects.filter(order=order).order_by("pk").first()
            if line is not None and line.to_ship >= 2:
                quantities = {line.pk: line.to_ship // 2}
        shipment = self.call(
            orders.order_ship,
            actor=self.by_org[order.supplier_id],
            order_id=order.pk,
            carrier="SF Express",
            tracking_number=f"SF{order.pk}",
            quantities=quantities,
        )
        if shipment:
            self.write("shipped", order.pk, "partial" if quantities else "full")
        return None

    def receive(self) -> bool | None:
        order = self.pick(Order.objects.filter(status="shipped"))
        if order is None:
            return False
        buyer = self.by_org[order.buyer_id]
        if self.rng.random() < 0.75:
            if self.call(orders.order_confirm_receipt, actor=buyer, order_id=order.pk):
                self.write("received", order.pk)
            return None
        amount = order.escrow_minor if self.rng.random() < 0.5 else max(1, order.escrow_minor // 3)
        if self.call(
            orders.order_request_refund,
            actor=buyer,
            order_id=order.pk,
            amount_minor=amount,
            reason="two bowls arrived broken",
        ):
            self.write("refund_requested", order.pk)
        return None

    def refund_decide(self) -> bool | None:
        order = self.pick(Order.objects.filter(status="refund_requested"))
        if order is None:
            return False
        supplier = self.by_org[order.supplier_id]
        if self.rng.random() < 0.3:
            if self.call(
                orders.order_decline_refund,
                actor=supplier,
                order_id=order.pk,
                reason="photos unclear",
            ):
                self.write("declined", order.pk)
            return None
        resolved = self.call(
            orders.order_resolve_refund,
            actor=supplier,
            order_id=order.pk,
            amount_minor=order.refund_requested_minor,
        )
        if resolved:
            self.write("resolved", order.pk, resolved.status)
        return None

    def sweep(self) -> None:
        """The scheduled jobs, run as if their time had come."""
        now = timezone.now()
        if self.rng.random() < 0.5:
            count = self.call(orders.orders_expire_due, now=now + timedelta(days=4), limit=2)
            self.write("expired", count)
        else:
            count = self.call(orders.orders_auto_confirm_due, now=now + timedelta(days=61), limit=2)
            self.write("auto_confirmed", count)

    def payout(self) -> bool | None:
        supplier = self.rng.choice(self.suppliers)
        available = AccountRef(AccountKind.SUPPLIER_AVAILABLE, CURRENCY, supplier.organization_id)
        if account_balance(ref=available) <= 0:
            return False
        payout = self.call(payments.payout_request, actor=supplier, currency=CURRENCY)
        if payout:
            self.write("payout", payout.pk, payout.amount_minor)
        return None

    def payout_paid(self) -> bool | None:
        payout = self.pick(Payout.objects.filter(status="requested"))
        if payout is None:
            return False
        if self.call(
            payments.payout_mark_paid,
            actor=self.operator,
            payout_id=payout.pk,
            reference=f"PO{payout.pk}",
        ):
            self.write("payout_paid", payout.pk)
        return None


def _track_transactions() -> None:
    """Keep STATE saying whether the worker holds an open database transaction."""

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if connection.in_atomic_block:
            STATE[0] = TXN
        return execute(sql, params, many, context)

    def ending(method: Any) -> Any:
        def run() -> None:
            STATE[0] = COMMIT if method.__name__ == "commit" else TXN
            method()
            STATE[0] = SERVICE

        return run

    connection.ensure_connection()
    connection.execute_wrappers.append(wrapper)
    connection.commit = ending(connection.commit)  # type: ignore[method-assign]
    connection.rollback = ending(connection.rollback)  # type: ignore[method-assign]


def work(data: Path, world: dict[str, Any], seed: str, number: int) -> None:
    _track_transactions()
    Worker(data, world, random.Random(f"{seed}:{number}"), number).loop()


# --- the checks a restarted server makes -------------------------------------------------------


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


def _notification_key(verb: str, link: str, params: dict[str, Any]) -> str:
    """What a notification is about: an order (its link), a payment or a payout. Not its verb:
    the wording of each move's news is the lifecycle's business, how many are sent is ours."""
    if verb.startswith("payout."):
        return f"payout {params.get('id')}"
    return link or f"payment {params.get('reference')}"


def _expected_notifications() -> Counter[tuple[int, str]]:
    """(organization, what about) for every notification the history says was sent."""
    buyers = dict(Order.objects.values_list("pk", "buyer_id"))
    suppliers = dict(Order.objects.values_list("pk", "supplier_id"))
    late_checkouts = set()
    expected: Counter[tuple[int, str]] = Counter()
    for order_id, from_status, to_status, party, checkout_id in OrderEvent.objects.values_list(
        "order_id", "from_status", "to_status", "party", "order__checkout_id"
    ):
        buyer, supplier, link = buyers[order_id], suppliers[order_id], f"/orders/{order_id}/"
        if from_status == "":  # placed: the supplier hears of it
            expected[(supplier, link)] += 1
        elif from_status == to_status == "paid":  # a partial shipment: the buyer hears of it
            expected[(buyer, link)] += 1
        elif from_status == to_status == "cancelled":  # paid late: the payment's news
            late_checkouts.add(checkout_id)
        elif to_status in MESSAGES:  # whoever did not act; both for the system or operator
            targets = {"buyer": [supplier], "supplier": [buyer]}.get(party, [buyer, supplier])
            for target in targets:
                expected[(target, link)] += 1
    for buyer, reference in Payment.objects.filter(
        status="captured", checkout_id__in=late_checkouts
    ).values_list("buyer_id", "reference"):
        expected[(buyer, f"payment {reference}")] += 1
    for supplier, pk in Payout.objects.filter(status="paid").values_list("supplier_id", "pk"):
        expected[(supplier, f"payout {pk}")] += 1
    return expected


def _check_notifications(data: Path, problems: list[str], *, drain: bool) -> dict[str, int]:
    actual: Counter[tuple[int, str]] = Counter(
        (org, _notification_key(verb, link, params))
        for org, verb, link, params in Notification.objects.values_list(
            "organization_id", "verb", "link", "params"
        )
    )
    expected = _expected_notifications()
    problems.extend(
        f"notifications to {key[0]} about {key[1]}: {actual[key]}, history says {expected[key]}"
        for key in sorted(set(expected) | set(actual))
        if expected[key] != actual[key]
    )
    if drain:  # what the next run of the email job does after a restart
        notifications_email_pending(batch=100_000)
        unsent = Notification.objects.filter(emailed_at__isnull=True).count()
        if unsent:
            problems.append(f"{unsent} notifications still not emailed after the email job ran")
    mailbox = data / "mailbox"
    mails: Counter[tuple[str, str]] = Counter()
    if mailbox.exists():
        for line in mailbox.read_text(encoding="utf-8").splitlines(keepends=True):
            if line.endswith("\n"):
                mail = json.loads(line)
                for to in mail["to"]:
                    mails[(to, mail["body"].split("\n")[0])] += 1
    emailed: Counter[tuple[str, str]] = Counter()
    recipients: dict[int, list[str]] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for notification in Notification.objects.filter(emailed_at__isnull=False):
            org = notification.organization_id
            if org not in recipients:
                recipients[org] = organization_notify_emails(organization_id=org)
            for to in recipients[org]:
                emailed[(to, notification_text(notification))] += 1
    lost = sum(max(0, count - mails[key]) for key, count in emailed.items())
    if lost:
        problems.append(f"{lost} notifications marked emailed were never sent")
    return {
        "notifications": sum(actual.values()),
        "emailed": sum(emailed.values()),
        "mails": sum(mails.values()),
    }


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
    counts = _check_notifications(data, problems, drain=drain)
    counts.update(
        acks=sum(1 for a in acks if a[1] != "refused"),
        orders=Order.objects.count(),
        completed=Order.objects.filter(status="completed").count(),
    )
    return {"problems": problems[:30], "problem_count": len(problems), "counts": counts}


# --- the parent --------------------------------------------------------------------------------


def _say(kind: str, payload: Any) -> None:
    sys.stdout.write(f"{kind} {json.dumps(payload)}\n")
    sys.stdout.flush()


def _warm_up() -> None:
    """Import now what the services load on first use (the URLconf and every app's views and
    API, the task backend), so each forked worker starts trading at once."""
    reverse("payments:sandbox_confirm", args=["PAY"])
    notifications_tasks.notifications_email_pending.get_backend()
    payments_tasks.sandbox_deliver.get_backend()


def run(data: Path, seed: str, first: int) -> None:
    world = json.loads((data / "seed.json").read_text())
    _warm_up()
    report = check(data)
    # Where the previous driver's worker was when the test killed that whole driver.
    report["previous_state"] = STATE_NAMES[STATE[0]]
    _say("check", report)
    number = first
    while True:
        command = sys.stdin.readline().strip()
        if command == "drain":
            _say("check", check(data, drain=True))
            continue
        if command != "next":
            return
        connections.close_all()  # never share a database connection with the child
        STATE[0] = IDLE
        pid = os.fork()
        if pid == 0:
            try:
                work(data, world, seed, number)
            except BaseException:  # anything at all: report it and die
                traceback.print_exc()
                sys.stderr.flush()
            os._exit(1)
        _say("child", {"pid": pid, "number": number})
        _pid, status = os.waitpid(pid, 0)
        died = {
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "state": STATE_NAMES[STATE[0]],
        }
        _say("died", died)
        _say("check", check(data))
        number += 1


def main(argv: list[str]) -> None:
    global STATE
    command, data = argv[0], Path(argv[1])
    if command == "setup":
        setup(data)
        return
    logging.disable(logging.WARNING)  # the task runner's chatter; tracebacks still reach stderr
    state_file = data / "state"
    if not state_file.exists():
        state_file.write_bytes(bytes([IDLE]))
    with state_file.open("r+b") as handle:
        STATE = mmap.mmap(handle.fileno(), 1)  # shared with the forked workers
    run(data, argv[2], int(argv[3]))


if __name__ == "__main__":
    main(sys.argv[1:])
