"""The books hold whatever buyers, suppliers, the provider and the operator do, in any order.

A hypothesis state machine drives the trade loop through its services with random sequences of:
place, pay (signed sandbox webhooks: processing / succeeded / failed, repeated and out of order),
pay again after a failure, bank transfers, cancel (before and after payment), expiry, ship (in part
or in full), receipt, auto-confirm, refund request / resolve (full or partial) / decline, payout
request and payout paid. Some actions are aimed at orders in the wrong state on purpose: a refusal
must change nothing. After every step:

- every ledger transaction sums to zero and every balance equals its entries (``ledger_check``);
- no account that must stay positive is negative;
- escrow == sum over orders of (paid - refunded - released) == ``escrow_held``, and each order's
  escrow entries add up to what it holds;
- each order's paid / refunded / released / commission fit its status;
- the suppliers' balances, pending payouts and payouts sent match releases and payouts;
- per SKU: on hand at the start == stock + reserved + sold, reserved == what open orders still
  have to ship, sold == what shipped.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from huoyuan.accounts.contracts import Actor
from huoyuan.catalogue.models import Category, Sku
from huoyuan.catalogue.tests.factories import make_product, sku
from huoyuan.core.errors import DomainError
from huoyuan.ledger.contracts import AccountKind, AccountRef, TransactionKind
from huoyuan.ledger.models import Account, Entry, Transaction
from huoyuan.ledger.selectors import account_balance, ledger_check
from huoyuan.orders import services as orders
from huoyuan.orders.contracts import OPEN_STATUSES, OrderStatus
from huoyuan.orders.escrow import commission_for
from huoyuan.orders.models import CartLine, Order, OrderLine, TradeSettings
from huoyuan.orders.selectors import escrow_held
from huoyuan.orders.tests.factories import address_for
from huoyuan.payments import services as payments
from huoyuan.payments.contracts import PaymentStatus, PayoutStatus, Provider
from huoyuan.payments.models import Payment, Payout
from huoyuan.payments.sandbox import deliver, event_body

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db

S = OrderStatus
CNY = "CNY"
FUTURE = timedelta(days=365)
RATE_BP = 300
EVENTS = ["payment.processing", "payment.succeeded", "payment.failed"]
OUTCOMES: Counter[str] = Counter()  # what the runs did: every action must have happened

# Bounded so the whole run stays under a minute; CI replays the same examples every time.
# Shrinking a failure costs minutes of database work: on by request (HUOYUAN_LEDGER_SHRINK=1).
PROFILE = settings(
    max_examples=int(os.environ.get("HUOYUAN_LEDGER_EXAMPLES", "40")),
    stateful_step_count=30,
    deadline=None,
    database=None,
    derandomize=bool(os.environ.get("CI")),
    phases=[Phase.explicit, Phase.generate]
    + ([Phase.shrink] if os.environ.get("HUOYUAN_LEDGER_SHRINK") else []),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@dataclass
class Trade:
    buyers: list[Actor]
    suppliers: list[Actor]
    operator: Actor
    addresses: dict[int, int]  # buyer organization -> address id
    skus: list[Sku]  # (a sample line is offered for the first)
    initial: dict[int, int]  # sku id -> units on hand at the start


@pytest.fixture
def trade(
    supplier_a: Person,
    supplier_b: Person,
    buyer_x: Person,
    buyer_y: Person,
    operator: Person,
    category: Category,
) -> Trade:
    for person in (supplier_a, supplier_b, buyer_x, buyer_y, operator):
        assert person.actor
    TradeSettings.objects.update_or_create(
        pk=1,
        defaults={
            "commission_rate_bp": RATE_BP,
            "max_unpaid_orders_per_buyer": 1000,
            "max_unpaid_share_percent": 100,
        },
    )
    # Odd prices, so the commission rounds.
    make_product(
        supplier_a.actor,
        category,
        skus=[
            sku("A1", stock=30, ladder=[(1, 1234)], sample_price_minor=333),
            sku("A2", stock=20, ladder=[(1, 999), (5, 901)], attributes={"colour": "Blue"}),
        ],
    )
    make_product(
        supplier_b.actor, category, title_en="Cup", skus=[sku("B1", stock=25, ladder=[(1, 1777)])]
    )
    for supplier in (supplier_a.actor, supplier_b.actor):
        payments.payout_account_set(
            actor=supplier, holder_name="Factory", bank_name="Bank", account_number="6222000011"
        )
    skus = list(Sku.objects.order_by("pk"))
    return Trade(
        buyers=[buyer_x.actor, buyer_y.actor],
        suppliers=[supplier_a.actor, supplier_b.actor],
        operator=operator.actor,
        addresses={b.organization_id: address_for(b).pk for b in (buyer_x.actor, buyer_y.actor)},
        skus=skus,
        initial={s.pk: s.stock for s in skus},
    )


def snapshot() -> tuple[Any, ...]:
    """Everything a refused action must leave as it was."""
    return (
        list(
            Order.objects.order_by("pk").values_list(
                "status", "paid_minor", "refunded_minor", "released_minor", "refund_requested_minor"
            )
        ),
        list(OrderLine.objects.order_by("pk").values_list("shipped_quantity", flat=True)),
        list(Sku.objects.order_by("pk").values_list("stock", "reserved", "sold")),
        list(Account.objects.order_by("pk").values_list("balance_minor", flat=True)),
        Transaction.objects.count(),
        list(Payment.objects.order_by("pk").values_list("status", flat=True)),
        list(Payout.objects.order_by("pk").values_list("status", flat=True)),
    )


class Seen:
    """What the last invariant pass saw: lets rules be enabled only when they can act."""

    def __init__(self) -> None:
        self.orders: dict[int, str] = {}  # order id -> status
        self.payments: list[tuple[int, str, str]] = []  # (id, provider, status)
        self.payouts_waiting = 0
        self.released = 0

    def statuses(self, *wanted: str) -> list[int]:
        return [pk for pk, status in self.orders.items() if status in wanted]

    def payments_in(self, provider: str, *wanted: str) -> list[int]:
        return [pk for pk, p, status in self.payments if p == provider and status in wanted]


def has_orders(*statuses: str) -> Any:
    return precondition(lambda machine: bool(machine.seen.statuses(*statuses)))


class TradeMachine(RuleBasedStateMachine):
    def __init__(self, trade: Trade) -> None:
        super().__init__()
        self.trade = trade
        self.actors = {a.organization_id: a for a in [*trade.buyers, *trade.suppliers]}
        self.delivered: list[bytes] = []
        self.seen = Seen()
        # Each example starts from the fixture's world and is rolled back at the end.
        self._example = transaction.atomic()
        self._example.__enter__()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._example.__exit__(None, None, None)

    # --- helpers --------------------------------------------------------------------------

    def attempt(self, action: Any, **kwargs: Any) -> Any:
        """Run a service; a refusal (a DomainError) must change nothing."""
        before = snapshot()
        try:
            result = action(**kwargs)
        except DomainError as error:
            assert snapshot() == before
            OUTCOMES[f"{action.__name__}: refused ({error.code})"] += 1
            return None
        OUTCOMES[f"{action.__name__}: done"] += 1
        return result

    def pick_order(self, data: st.DataObject, *statuses: str) -> Order:
        """An order in one of ``statuses``; one time in ten any order, to be refused."""
        fitting = self.seen.statuses(*statuses)
        if data.draw(st.integers(0, 9), label="any order") == 0:
            fitting = list(self.seen.orders)
        return Order.objects.get(pk=data.draw(st.sampled_from(sorted(fitting)), label="order"))

    def party(self, data: st.DataObject, order: Order, choices: list[str]) -> Actor:
        who = data.draw(st.sampled_from(choices), label="who")
        if who == "operator":
            return self.trade.operator
        return self.actors[order.buyer_id if who == "buyer" else order.supplier_id]

    def deliver(self, payment_id: int, event: str) -> str:
        body = event_body(Payment.objects.get(pk=payment_id), event)
        self.delivered.append(body)
        result = deliver(body)
        OUTCOMES[f"webhook {event}: {result.split(';')[0]}"] += 1
        return result

    # --- buyers and the provider ----------------------------------------------------------

    @initialize(data=st.data())
    def start(self, data: st.DataObject) -> None:
        """Every example starts with a paid order, so the later steps have something to do."""
        self.place(data, buyer=0, method=Provider.SANDBOX)
        self.the_books_hold()
        waiting = self.seen.payments_in(Provider.SANDBOX, PaymentStatus.PENDING)
        if waiting:
            self.deliver(waiting[0], "payment.succeeded")

    @rule(
        data=st.data(),
        buyer=st.integers(0, 1),
        method=st.sampled_from([Provider.SANDBOX, Provider.SANDBOX, Provider.BANK_TRANSFER]),
    )
    def place(self, data: st.DataObject, buyer: int, method: str) -> None:
        actor = self.trade.buyers[buyer]
        chosen = data.draw(
            st.lists(
                st.sampled_from(range(len(self.trade.skus))), min_size=1, max_size=3, unique=True
            ),
            label="skus",
        )
        for index in chosen:
            orders.cart_add(
                actor=actor,
                sku_id=self.trade.skus[index].pk,
                quantity=data.draw(st.integers(1, 5), label="quantity"),
            )
        if data.draw(st.booleans(), label="sample too"):
            orders.cart_add(actor=actor, sku_id=self.trade.skus[0].pk, quantity=1, kind="sample")
        quote = orders.cart_quote(actor=actor)
        self.attempt(
            payments.checkout_submit,
            actor=actor,
            address_id=self.trade.addresses[actor.organization_id],
            payment_method=method,
            quote_token=quote.token,
        )
        CartLine.objects.filter(buyer_id=actor.organization_id).delete()  # a refused cart

    @precondition(
        lambda m: bool(
            m.seen.payments_in(Provider.SANDBOX, PaymentStatus.PENDING, PaymentStatus.PROCESSING)
        )
    )
    @rule(data=st.data(), processing_first=st.booleans(), succeeds=st.sampled_from([1, 1, 1, 0]))
    def pay(self, data: st.DataObject, processing_first: bool, succeeds: int) -> None:
        """The buyer pays (or the card is declined) on the provider's page; webhooks follow."""
        waiting = self.seen.payments_in(
            Provider.SANDBOX, PaymentStatus.PENDING, PaymentStatus.PROCESSING
        )
        payment_id = data.draw(st.sampled_from(waiting), label="payment")
        if processing_first:
            self.deliver(payment_id, "payment.processing")
        self.deliver(payment_id, "payment.succeeded" if succeeds else "payment.failed")

    @precondition(lambda m: bool(m.seen.payments_in(Provider.SANDBOX, *PaymentStatus.values)))
    @rule(data=st.data(), event=st.sampled_from(EVENTS))
    def webhook(self, data: st.DataObject, event: str) -> None:
        """Any report on any card payment: late, out of order, contradicting an earlier one."""
        every = self.seen.payments_in(Provider.SANDBOX, *PaymentStatus.values)
        self.deliver(data.draw(st.sampled_from(every), label="payment"), event)

    @precondition(lambda m: bool(m.delivered))
    @rule(data=st.data())
    def webhook_again(self, data: st.DataObject) -> None:
        """A provider retry: the very same delivery once more."""
        body = data.draw(st.sampled_from(self.delivered), label="body")
        assert deliver(body) == "duplicate"

    @precondition(lambda m: bool(m.seen.payments_in(Provider.SANDBOX, PaymentStatus.FAILED)))
    @rule(data=st.data())
    def pay_again(self, data: st.DataObject) -> None:
        failed = self.seen.payments_in(Provider.SANDBOX, PaymentStatus.FAILED)
        payment = Payment.objects.get(pk=data.draw(st.sampled_from(failed), label="payment"))
        self.attempt(
            payments.payment_retry, actor=self.actors[payment.buyer_id], reference=payment.reference
        )

    @precondition(lambda m: bool(m.seen.payments_in(Provider.BANK_TRANSFER, PaymentStatus.PENDING)))
    @rule(data=st.data(), any_transfer=st.sampled_from([0, 0, 0, 1]))
    def match_bank_transfer(self, data: st.DataObject, any_transfer: int) -> None:
        """The operator matches a transfer (now and then one already matched: refused)."""
        every = self.seen.payments_in(
            Provider.BANK_TRANSFER, *(PaymentStatus.values if any_transfer else ["pending"])
        )
        payment = Payment.objects.get(pk=data.draw(st.sampled_from(every), label="transfer"))
        self.attempt(
            payments.bank_transfer_match,
            actor=self.trade.operator,
            reference=payment.reference,
            amount_minor=payment.amount_minor,
            bank_reference="BANK-1",
        )

    @has_orders(S.PENDING_PAYMENT, S.PAID)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        order = self.pick_order(data, S.PENDING_PAYMENT, S.PAID)
        actor = self.party(data, order, ["buyer", "supplier", "operator"])
        self.attempt(orders.order_cancel, actor=actor, order_id=order.pk, reason="changed")

    @has_orders(S.PENDING_PAYMENT)
    @rule()
    def expire(self) -> None:
        orders.orders_expire_due(now=timezone.now() + FUTURE)

    @has_orders(S.SHIPPED)
    @rule(data=st.data())
    def confirm_receipt(self, data: st.DataObject) -> None:
        order = self.pick_order(data, S.SHIPPED)
        buyer = self.actors[order.buyer_id]
        self.attempt(orders.order_confirm_receipt, actor=buyer, order_id=order.pk)

    @has_orders(S.SHIPPED)
    @rule()
    def auto_confirm(self) -> None:
        orders.orders_auto_confirm_due(now=timezone.now() + FUTURE)

    @has_orders(S.SHIPPED)
    @rule(data=st.data(), share=st.sampled_from([1, 2, 3, 4]))
    def request_refund(self, data: st.DataObject, share: int) -> None:
        order = self.pick_order(data, S.SHIPPED)
        self.attempt(
            orders.order_request_refund,
            actor=self.actors[order.buyer_id],
            order_id=order.pk,
            amount_minor=max(1, order.escrow_minor * share // 4),
            reason="broken on arrival",
        )

    # --- suppliers and the operator ---------------------------------------------------------

    @has_orders(S.PAID)
    @rule(data=st.data(), partial=st.booleans())
    def ship(self, data: st.DataObject, partial: bool) -> None:
        order = self.pick_order(data, S.PAID)
        quantities = None
        if partial:
            line = OrderLine.objects.filter(order=order).order_by("pk").first()
            assert line is not None
            quantities = {line.pk: 1}
        self.attempt(
            orders.order_ship,
            actor=self.actors[order.supplier_id],
            order_id=order.pk,
            carrier="SF Express",
            tracking_number="SF100",
            quantities=quantities,
        )

    @has_orders(S.REFUND_REQUESTED)
    @rule(data=st.data(), full=st.booleans())
    def resolve_refund(self, data: st.DataObject, full: bool) -> None:
        order = self.pick_order(data, S.REFUND_REQUESTED)
        amount = order.escrow_minor if full else max(1, order.refund_requested_minor // 2)
        self.attempt(
            orders.order_resolve_refund,
            actor=self.party(data, order, ["supplier", "operator"]),
            order_id=order.pk,
            amount_minor=amount,
            reason="agreed",
        )

    @has_orders(S.REFUND_REQUESTED)
    @rule(data=st.data())
    def decline_refund(self, data: st.DataObject) -> None:
        order = self.pick_order(data, S.REFUND_REQUESTED)
        self.attempt(
            orders.order_decline_refund,
            actor=self.party(data, order, ["supplier", "buyer"]),
            order_id=order.pk,
            reason="photos show it intact",
        )

    @precondition(lambda m: m.seen.released > 0)
    @rule(supplier=st.integers(0, 1))
    def request_payout(self, supplier: int) -> None:
        self.attempt(payments.payout_request, actor=self.trade.suppliers[supplier])

    @precondition(lambda m: m.seen.payouts_waiting > 0)
    @rule(data=st.data())
    def pay_payout(self, data: st.DataObject) -> None:
        payouts = list(Payout.objects.order_by("pk").values_list("pk", flat=True))
        self.attempt(
            payments.payout_mark_paid,
            actor=self.trade.operator,
            payout_id=data.draw(st.sampled_from(payouts), label="payout"),
            reference="WIRE-1",
        )

    # --- after every step -------------------------------------------------------------------

    @invariant()
    def the_books_hold(self) -> None:
        """One pass over orders, lines, accounts, entries, payments and payouts: a dozen queries."""
        # Balanced; balances == their entries; nothing negative that must stay positive.
        assert ledger_check() == []
        orders_now = list(Order.objects.order_by("pk"))
        payments_now = list(
            Payment.objects.order_by("pk").values_list("pk", "provider", "status", "checkout_id")
        )
        payouts_now = list(Payout.objects.values_list("supplier_id", "status", "amount_minor"))
        self.seen.orders = {o.pk: o.status for o in orders_now}
        self.seen.payments = [(pk, provider, status) for pk, provider, status, _c in payments_now]
        self.seen.payouts_waiting = sum(
            1 for _s, st_, _a in payouts_now if st_ == PayoutStatus.REQUESTED
        )
        self.seen.released = sum(o.released_minor for o in orders_now)

        self.check_escrow(orders_now)
        for order in orders_now:
            check_order(order)
        captured = {c for _pk, _p, status, c in payments_now if status == PaymentStatus.CAPTURED}
        for order in orders_now:
            # Paid only through a captured payment (of its checkout), and never twice.
            assert (order.paid_minor > 0) <= (order.checkout_id in captured), order.number
        assert (
            not Payment.objects.exclude(status=PaymentStatus.CAPTURED)
            .filter(captured_at__isnull=False)
            .exists()
        )
        self.check_supplier_money(orders_now, payouts_now)
        self.check_stock()

    def check_escrow(self, orders_now: list[Order]) -> None:
        escrow = account_balance(ref=AccountRef(AccountKind.ESCROW, CNY))
        assert escrow == sum(o.escrow_minor for o in orders_now) == escrow_held(currency=CNY)
        by_order: dict[tuple[int, str], int] = {}
        captures: Counter[int] = Counter()
        rows = Entry.objects.filter(account__kind=AccountKind.ESCROW).values_list(
            "order_id", "transaction__kind", "amount_minor"
        )
        for order_id, kind, amount in rows:
            by_order[(order_id, "escrow")] = by_order.get((order_id, "escrow"), 0) + amount
            captures[order_id] += kind == TransactionKind.PAYMENT_CAPTURE
        for order in orders_now:
            assert by_order.get((order.pk, "escrow"), 0) == order.escrow_minor, order.number
            assert captures[order.pk] == (1 if order.paid_minor else 0), order.number

    def check_supplier_money(
        self, orders_now: list[Order], payouts_now: list[tuple[int, str, int]]
    ) -> None:
        """Available == released - commission - payouts asked; pending == payouts not yet paid."""
        balances = {
            (kind, org): balance
            for kind, org, balance in Account.objects.values_list(
                "kind", "organization_id", "balance_minor"
            )
        }
        sent = 0
        for supplier in self.trade.suppliers:
            org = supplier.organization_id
            earned = sum(
                o.released_minor - o.commission_minor for o in orders_now if o.supplier_id == org
            )
            asked = sum(a for s, _st, a in payouts_now if s == org)
            waiting = sum(
                a for s, st_, a in payouts_now if s == org and st_ == PayoutStatus.REQUESTED
            )
            sent += asked - waiting
            assert balances.get((AccountKind.SUPPLIER_AVAILABLE, org), 0) == earned - asked
            assert balances.get((AccountKind.SUPPLIER_PAYOUT_PENDING, org), 0) == waiting
        assert balances.get((AccountKind.PAYOUTS_SENT, None), 0) == sent
        commission = sum(o.commission_minor for o in orders_now)
        assert balances.get((AccountKind.PLATFORM_COMMISSION, None), 0) == commission

    def check_stock(self) -> None:
        """On hand at the start == stock + reserved + sold; reserved and sold match the orders."""
        unshipped: dict[int, int] = dict.fromkeys(self.trade.initial, 0)
        shipped: dict[int, int] = dict.fromkeys(self.trade.initial, 0)
        rows = OrderLine.objects.values_list(
            "sku_id", "order__status", "quantity", "shipped_quantity"
        )
        for sku_id, status, quantity, done in rows:
            shipped[sku_id] += done
            if status in OPEN_STATUSES:
                unshipped[sku_id] += quantity - done
        for pk, stock, reserved, sold in Sku.objects.values_list("pk", "stock", "reserved", "sold"):
            assert min(stock, reserved, sold) >= 0
            assert stock + reserved + sold == self.trade.initial[pk]
            assert (reserved, sold) == (unshipped[pk], shipped[pk])


def check_order(o: Order) -> None:
    """An order's money fits its status."""
    facts = (o.paid_minor, o.refunded_minor, o.released_minor)
    total = o.total_minor
    # What was asked stays on record once resolved; a decline clears it.
    if o.status == S.REFUND_REQUESTED:
        assert 0 < o.refund_requested_minor <= o.escrow_minor, o.number
    elif o.status not in (S.REFUNDED, S.PARTLY_REFUNDED):
        assert o.refund_requested_minor == 0, o.number
    if o.status == S.PENDING_PAYMENT:
        assert facts == (0, 0, 0), o.number
    elif o.status in (S.PAID, S.SHIPPED, S.REFUND_REQUESTED):
        assert facts == (total, 0, 0), o.number
    elif o.status == S.COMPLETED:
        assert facts == (total, 0, total), o.number
        assert o.commission_minor == commission_for(total, rate_bp=RATE_BP), o.number
    elif o.status == S.CANCELLED:
        assert facts in ((0, 0, 0), (total, total, 0)), o.number
    elif o.status == S.REFUNDED:
        assert facts == (total, total, 0), o.number
    elif o.status == S.PARTLY_REFUNDED:
        assert o.paid_minor == total == o.refunded_minor + o.released_minor, o.number
        assert 0 < o.refunded_minor < total, o.number
        assert o.commission_minor == commission_for(o.released_minor, rate_bp=RATE_BP)
    else:
        raise AssertionError(f"{o.number} rests in {o.status}")


def test_the_books_hold_under_any_sequence_of_trade_actions(trade: Trade, capsys: Any) -> None:
    OUTCOMES.clear()
    run_state_machine_as_test(lambda: TradeMachine(trade), settings=PROFILE)
    with capsys.disabled():
        print(dict(sorted(OUTCOMES.items())))  # noqa: T201
