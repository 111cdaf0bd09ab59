"""The Django side of bench/orders.py: seed, place orders, pay some, check the books, profile.

Imported only after ``django.setup()`` (bench/orders.py sets the database up first). Every write
goes through the project's services, as a buyer and a supplier would make it; only the category
(set-up data without a service) and the operator's trade settings are written directly.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.models import F, Sum
from django.test.utils import CaptureQueriesContext

from huoyuan.accounts.contracts import Actor, OrganizationKind
from huoyuan.accounts.selectors import actor_from_membership, membership_list_for_user
from huoyuan.accounts.services import user_signup
from huoyuan.catalogue.contracts import ProductInput
from huoyuan.catalogue.models import Category, Sku
from huoyuan.catalogue.services import product_create, sku_inputs_from_ladder
from huoyuan.ledger.contracts import AccountKind, AccountRef
from huoyuan.ledger.selectors import account_balance, ledger_check
from huoyuan.orders import services as orders
from huoyuan.orders.contracts import OrderStatus
from huoyuan.orders.models import Order, OrderLine, TradeSettings
from huoyuan.payments import services as payments
from huoyuan.payments.contracts import PaymentStatus
from huoyuan.payments.models import Payment
from huoyuan.payments.sandbox import deliver, event_body

LADDER = [(2, 1250), (100, 1100), (1000, 980)]
SPREAD_QUANTITY = (2, 120)  # crosses the 100-unit break now and then
HOT_QUANTITY = (2, 10)
TRANSACTION_CONTROL = re.compile(r"(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)\b")


@dataclass
class World:
    spread_sku_ids: list[int]
    hot_sku_id: int
    buyers: list[tuple[Actor, int]]  # (actor, address id)
    initial_stock: dict[int, int]


@dataclass
class WorkerSpec:
    index: int
    buyers: list[tuple[Actor, int]]
    sku_ids: list[int]
    quantity: tuple[int, int]
    warmup: float
    seconds: float
    seed: int
    path: str = "cart"  # "cart" or "buy-now"


@dataclass
class WorkerReport:
    latencies_ms: list[float] = field(default_factory=list)
    submit_ms: list[float] = field(default_factory=list)
    placed: int = 0  # including the warm-up
    errors: int = 0
    samples: list[str] = field(default_factory=list)
    python_cpu_s: float = 0.0  # CPU of the worker's thread during the measured window
    server_cpu_s: float | None = 0.0  # CPU of its PostgreSQL backend (None: not visible)


# --- seed --------------------------------------------------------------------------------------


def _actor(user: Any) -> Actor:
    return actor_from_membership(membership_list_for_user(user=user).get())  # the one just made


def seed(
    *,
    suppliers: int,
    products: int,
    skus: int,
    buyers: int,
    spread_stock: int,
    hot_stock: int,
    progress: Callable[[str], None],
) -> World:
    password = make_password("bench-only-password")
    category = Category.objects.create(
        slug="bench", name_zh_hans="基准", name_en="Benchmark", name_de="Benchmark", path="0001."
    )

    def supplier(n: int, name: str) -> Actor:
        user = user_signup(
            email=f"supplier{n}@bench.test",
            password="",
            password_hash=password,
            organization_kind=OrganizationKind.SUPPLIER,
            organization_name=name,
        )
        return _actor(user)

    def product(actor: Actor, code: str, count: int, stock: int) -> list[int]:
        made = product_create(
            actor=actor,
            data=ProductInput(
                category_id=category.pk,
                title_zh_hans=f"基准商品 {code}",
                title_en=f"Bench product {code}",
                skus=[
                    sku_inputs_from_ladder(
                        f"{code}-{k}", LADDER, stock=stock, attributes={"size": str(k)}
                    )
                    for k in range(count)
                ],
            ),
            publish=True,
        )
        return list(made.skus.order_by("pk").values_list("pk", flat=True))

    spread: list[int] = []
    for s in range(suppliers):
        actor = supplier(s, f"Bench Supplier {s}")
        for p in range(products):
            spread += product(actor, f"S{s}P{p}", skus, spread_stock)
        progress(f"  supplier {s + 1}/{suppliers}: {len(spread)} SKUs so far")
    hot = product(supplier(suppliers, "Bench Hot Supplier"), "HOT", 1, hot_stock)[0]

    people: list[tuple[Actor, int]] = []
    for b in range(buyers):
        user = user_signup(
            email=f"buyer{b}@bench.test",
            password="",
            password_hash=password,
            organization_kind=OrganizationKind.BUYER,
            organization_name=f"Bench Buyer {b}",
        )
        actor = _actor(user)
        address = orders.address_create(
            actor=actor,
            data=orders.AddressInput(
                recipient=f"买家 {b}",
                phone="+86 138 0000 0000",
                city="杭州",
                province="浙江",
                street=f"文三路 {b + 1} 号",
            ),
        )
        people.append((actor, address.pk))
    progress(f"  {buyers} buyers with an address each")

    # The operator's knob: the benchmark's buyers keep every order unpaid until the end, far more
    # than the default cap of 20 a real buyer may hold. The cap's queries still run.
    TradeSettings.objects.update_or_create(pk=1, defaults={"max_unpaid_orders_per_buyer": 10**6})
    initial = dict(Sku.objects.values_list("pk", "stock"))
    return World(spread_sku_ids=spread, hot_sku_id=hot, buyers=people, initial_stock=initial)


# --- one placement ---------------------------------------------------------------------------


def place_one(
    actor: Actor, address_id: int, sku_id: int, quantity: int, path: str = "cart"
) -> float:
    """One placement; returns the moment the submit started (perf_counter).

    cart: cart_add, the cart's quote (for its token, as the cart page shows it), checkout_submit.
    buy-now: the product page's buy-now quote (for its token), buy_now_submit (立即订购)."""
    if path == "buy-now":
        token = orders.buy_now_quote(
            actor=actor, sku_id=sku_id, quantity=quantity, kind="wholesale"
        ).token
        started = time.perf_counter()
        payments.buy_now_submit(
            actor=actor,
            sku_id=sku_id,
            quantity=quantity,
            kind="wholesale",
            address_id=address_id,
            payment_method="sandbox",
            quote_token=token,
        )
        return started
    orders.cart_add(actor=actor, sku_id=sku_id, quantity=quantity)
    quote = orders.cart_quote(actor=actor)
    started = time.perf_counter()
    payments.checkout_submit(
        actor=actor, address_id=address_id, payment_method="sandbox", quote_token=quote.token
    )
    return started


def warm_up(world: World, *, placements: int = 3) -> int:
    """A few placements in the parent before the workers fork, so they inherit what the first one
    loads (the URLconf for the payment page's address, translations, ORM caches): otherwise each
    of 16-32 fresh processes spends its first seconds importing, inside the measured window."""
    actor, address_id = world.buyers[0]
    for n in range(placements):
        place_one(actor, address_id, world.spread_sku_ids[n % len(world.spread_sku_ids)], 10)
    place_one(actor, address_id, world.hot_sku_id, 2)
    place_one(actor, address_id, world.spread_sku_ids[0], 10, "buy-now")
    return placements + 2


def _empty_cart(actor: Actor) -> None:
    for line in orders.cart_quote(actor=actor).lines:
        orders.cart_remove(actor=actor, line_id=line.line_id)


def run_worker(spec: WorkerSpec, wait: Callable[[], Any]) -> WorkerReport:
    """A closed loop of placements, each buyer of the worker in turn; the warm-up is not timed."""
    rng = random.Random(spec.seed)
    report = WorkerReport()
    connection.ensure_connection()
    pid = _backend_pid()
    wait()
    measure_from = time.perf_counter() + spec.warmup
    until = measure_from + spec.seconds
    turn = 0
    cpu_from: tuple[float, float | None] | None = None
    while (started := time.perf_counter()) < until:
        if cpu_from is None and started >= measure_from:
            cpu_from = (time.thread_time(), proc_cpu_s(pid))
        actor, address_id = spec.buyers[turn % len(spec.buyers)]
        turn += 1
        try:
            submit_started = place_one(
                actor, address_id, rng.choice(spec.sku_ids), rng.randint(*spec.quantity), spec.path
            )
        except Exception as exc:  # counted and shown: any failure is a finding
            report.errors += 1
            if len(report.samples) < 5:
                report.samples.append(f"{type(exc).__name__}: {exc}"[:300])
            with suppress(Exception):  # the next placement reports a lasting problem anyway
                _empty_cart(actor)
            continue
        finished = time.perf_counter()
        report.placed += 1
        if started >= measure_from:
            report.latencies_ms.append((finished - started) * 1000)
            report.submit_ms.append((finished - submit_started) * 1000)
    if cpu_from is not None:
        report.python_cpu_s = time.thread_time() - cpu_from[0]
        server = proc_cpu_s(pid)
        report.server_cpu_s = (
            server - cpu_from[1] if server is not None and cpu_from[1] is not None else None
        )
    connection.close()
    return report


# --- pay a share -------------------------------------------------------------------------------


def pay_share(share: float, *, seed: int) -> dict[str, int]:
    """Signed sandbox success webhooks for a share of the payments; every tenth delivered twice."""
    references = list(
        Payment.objects.filter(status=PaymentStatus.PENDING)
        .order_by("pk")
        .values_list("reference", flat=True)
    )
    rng = random.Random(seed)
    chosen = sorted(rng.sample(references, round(len(references) * share)))
    outcome: Counter[str] = Counter()
    for n, payment in enumerate(Payment.objects.filter(reference__in=chosen).order_by("pk")):
        body = event_body(payment, "payment.succeeded")
        outcome[deliver(body).split(";")[0]] += 1
        if n % 10 == 0:
            outcome[deliver(body)] += 1  # a provider's retry: must change nothing
    return dict(outcome)


# --- invariants --------------------------------------------------------------------------------


def invariants(world: World, *, placed: int) -> list[str]:
    problems = list(ledger_check())
    for pk, stock, reserved, sold in Sku.objects.values_list("pk", "stock", "reserved", "sold"):
        if min(stock, reserved, sold) < 0:
            problems.append(f"SKU {pk}: negative (stock {stock}, reserved {reserved}, sold {sold})")
        if pk not in world.initial_stock:
            problems.append(f"SKU {pk}: appeared during the run")
        elif stock + reserved + sold != world.initial_stock[pk]:
            problems.append(
                f"SKU {pk}: started with {world.initial_stock[pk]}, now stock {stock} + "
                f"reserved {reserved} + sold {sold} = {stock + reserved + sold}"
            )
    # Nothing shipped or cancelled: every ordered unit is still reserved, and nothing else is.
    ordered = dict(
        OrderLine.objects.values("sku_id")
        .annotate(units=Sum(F("quantity") - F("shipped_quantity")))
        .values_list("sku_id", "units")
    )
    for pk, reserved in Sku.objects.filter(reserved__gt=0).values_list("pk", "reserved"):
        held = ordered.pop(pk, 0)
        if held != reserved:
            problems.append(f"SKU {pk}: reserved {reserved}, its order lines hold {held}")
    problems += [
        f"SKU {pk}: order lines hold {u} units, none reserved" for pk, u in ordered.items()
    ]
    count = Order.objects.count()
    if count != placed:
        problems.append(f"{placed} placements succeeded but {count} orders exist")
    if Payment.objects.count() != placed:
        problems.append(f"{placed} placements succeeded but {Payment.objects.count()} payments")
    captured = Payment.objects.filter(status=PaymentStatus.CAPTURED)
    paid_total = captured.aggregate(total=Sum("amount_minor"))["total"] or 0
    escrow = account_balance(ref=AccountRef(AccountKind.ESCROW, "CNY"))
    if escrow != paid_total:
        problems.append(f"escrow holds {escrow}, captured payments total {paid_total}")
    paid_orders = Order.objects.filter(status=OrderStatus.PAID).count()
    if paid_orders != captured.count():
        problems.append(f"{captured.count()} payments captured but {paid_orders} orders paid")
    return problems


# --- profile -----------------------------------------------------------------------------------


@contextmanager
def _timed_sql(into: dict[str, float]) -> Iterator[None]:
    """Add the time spent inside cursor.execute (driver + network + server) to into['sql_s']."""

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            into["sql_s"] = into.get("sql_s", 0.0) + time.perf_counter() - started
            if "FOR UPDATE" in sql and '"catalogue_sku"' in sql and "lock_at" not in into:
                into["lock_at"] = started

    with connection.execute_wrapper(wrapper):
        yield


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def proc_cpu_s(pid: int) -> float | None:
    """CPU seconds a process (e.g. a PostgreSQL backend) used so far, if this host runs it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None  # another host, or not allowed to look
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _area(filename: str, name: str) -> str:
    text = f"{filename} {name}"
    if "psycopg" in text or "socket" in text or "select.poll" in text or "select." in name:
        return "database driver (psycopg: sending, waiting on the server, reading rows)"
    if "/django/db/" in filename:
        return "Django ORM (building SQL, making model objects)"
    if "/django/" in filename:
        return "Django other (translation, signals, transactions, tasks)"
    if "/huoyuan/" in filename:
        return "huoyuan code itself"
    if "/django_tasks" in filename:
        return "django-tasks-db (email task enqueued on commit)"
    return "Python stdlib and other libraries"


def profile(
    world: World, *, placements: int, out_prof: str, top: int = 25, path: str = "cart"
) -> tuple[dict[str, Any], str]:
    """Queries per placement, the SQL/Python split, the hot lock's hold time and a cProfile."""
    actor, address_id = world.buyers[0]
    rng = random.Random(7)

    def one() -> float:
        return place_one(actor, address_id, rng.choice(world.spread_sku_ids), 10, path)

    for _n in range(5):
        one()  # warm caches (translations, prepared ORM state)
    steps: dict[str, int] = {}
    statements: list[str] = []
    control = 0
    sku_id = world.spread_sku_ids[0]
    if path == "buy-now":
        with CaptureQueriesContext(connection) as quote_ctx:
            token = orders.buy_now_quote(
                actor=actor, sku_id=sku_id, quantity=10, kind="wholesale"
            ).token
        with CaptureQueriesContext(connection) as submit:
            payments.buy_now_submit(
                actor=actor,
                sku_id=sku_id,
                quantity=10,
                kind="wholesale",
                address_id=address_id,
                payment_method="sandbox",
                quote_token=token,
            )
        captured: tuple[tuple[str, CaptureQueriesContext], ...] = (
            ("buy_now_quote", quote_ctx),
            ("buy_now_submit", submit),
        )
    else:
        with CaptureQueriesContext(connection) as add:
            orders.cart_add(actor=actor, sku_id=sku_id, quantity=10)
        with CaptureQueriesContext(connection) as quote_ctx:
            quote = orders.cart_quote(actor=actor)
        with CaptureQueriesContext(connection) as submit:
            payments.checkout_submit(
                actor=actor,
                address_id=address_id,
                payment_method="sandbox",
                quote_token=quote.token,
            )
        captured = (("cart_add", add), ("cart_quote", quote_ctx), ("checkout_submit", submit))
    for name, ctx in captured:
        sqls = [q["sql"] for q in ctx.captured_queries]
        steps[name] = len(sqls)
        control += sum(1 for sql in sqls if TRANSACTION_CONTROL.match(sql))
        statements += [f"[{name}] {sql}" for sql in sqls]

    # The split, without the profiler's overhead: time inside cursor.execute vs the rest.
    total = sql = hold = 0.0
    pid = _backend_pid()
    server_before = proc_cpu_s(pid)
    cpu_before = time.process_time()
    for _n in range(placements):
        timing: dict[str, float] = {}
        started = time.perf_counter()
        with _timed_sql(timing):
            one()
        finished = time.perf_counter()
        total += finished - started
        sql += timing.get("sql_s", 0.0)
        hold += finished - timing.get("lock_at", finished)
    python_cpu = time.process_time() - cpu_before
    server_after = proc_cpu_s(pid)
    server_cpu = (
        server_after - server_before
        if server_before is not None and server_after is not None
        else None
    )

    profiler = cProfile.Profile()
    profiler.enable()
    for _n in range(placements):
        one()
    profiler.disable()
    profiler.dump_stats(out_prof)
    stats = pstats.Stats(profiler)
    areas: dict[str, float] = defaultdict(float)
    raw: Any = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        areas[_area(filename, name)] += tottime
    profiled_total = sum(areas.values())
    text = io.StringIO()
    for order in ("tottime", "cumulative"):
        pstats.Stats(profiler, stream=text).strip_dirs().sort_stats(order).print_stats(top)
    summary = {
        "path": path,
        "placements": placements,
        "orders_placed": 5 + 1 + 2 * placements,
        "queries_per_placement": sum(steps.values()),
        "queries_by_step": steps,
        "transaction_control_statements": control,
        "ms_per_placement": total / placements * 1000,
        "sql_ms_per_placement": sql / placements * 1000,
        "python_ms_per_placement": (total - sql) / placements * 1000,
        "hot_lock_hold_ms": hold / placements * 1000,
        "python_cpu_ms_per_placement": python_cpu / placements * 1000,
        "server_cpu_ms_per_placement": (
            server_cpu / placements * 1000 if server_cpu is not None else None
        ),
        "profile_share": {
            k: round(v / profiled_total, 3) for k, v in sorted(areas.items(), key=lambda i: -i[1])
        },
        "statements": statements,
    }
    return summary, text.getvalue()
