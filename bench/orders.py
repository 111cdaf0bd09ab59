"""Order-placement benchmark on PostgreSQL, against pgbench's TPC-B measured in the same run.

    python bench/orders.py [--quick] [--seconds 20] [--mode both|threads|processes] ...

Makes a fresh database (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/huoyuan_bench;
its name must contain "bench": it is dropped and recreated, and dropped again at the end unless
--keep-db), migrates it and seeds suppliers, products, SKUs and buyers through the services.
Runs pgbench (TPC-B, scale 8, -c 8 -j 2) on a scratch database of the same server before and
after the placements; the mean tps is the baseline. A placement is what a buyer does: cart_add,
the cart's quote (its token), checkout_submit (orders + payment, one transaction). Measured
with 16 buyers over many SKUs ("spread") and 32 buyers on one SKU ("hot SKU"), as threads with a
connection each and as forked processes. Then pays a share through signed sandbox webhooks (every
tenth delivered twice), checks the invariants (ledger_check(), every SKU's initial stock == stock
+ reserved + sold, nothing negative, reserved == what order lines hold, one order and one payment
per placement, escrow == captured payments), and profiles one buyer's placements: statements per
placement (CaptureQueriesContext), time inside cursor.execute vs Python, how long a SKU row stays
locked, CPU per placement, and cProfile. Writes bench/results/orders-<UTC>.json, -profile.txt
(pstats and the statements of one placement) and .prof (snakeviz / pstats).

Reading the numbers: CPU figures are read from /proc (the workers' threads and their PostgreSQL
backends; pgbench's client and backends), so they hold when the machine is shared, where
throughput does not: with the kernel's autogroup scheduling every session (and all PostgreSQL
backends together) gets one share of the CPUs, so forking more workers buys no CPU. The
"CPU-normalized" column is pgbench's CPU per transaction over a placement's: the ratio to
expect when both are CPU-bound on a machine of their own. The targets (spread >= 0.1 x pgbench
tps; hot SKU >= half the spread rate) are printed PASS/FAIL but do not set the exit code: 1 means
an invariant broke or a placement failed, 2 that the benchmark could not run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/huoyuan_bench"
PGBENCH_FALLBACK = "/usr/lib/postgresql/15/bin/pgbench"
SPREAD_TARGET = 0.1  # orders/s at the spread scenario >= this share of pgbench's tps
HOT_TARGET = 0.5  # the hot scenario's orders/s >= this share of the spread scenario's

# Defaults of the full run and of --quick (an explicit flag wins over either).
PRESETS: dict[str, dict[str, Any]] = {
    "full": {
        "seconds": 20.0,
        "warmup": 2.0,
        "pgbench_seconds": 20,
        "suppliers": 20,
        "products": 20,
        "buyers": 256,
        "profile_placements": 200,
    },
    "quick": {
        "seconds": 5.0,
        "warmup": 1.0,
        "pgbench_seconds": 5,
        "suppliers": 4,
        "products": 10,
        "buyers": 64,
        "profile_placements": 40,
    },
}


class BenchError(Exception):
    """The benchmark could not run (as opposed to: it ran and found a problem)."""


@dataclass
class Scenario:
    name: str
    mode: str
    path: str
    buyers: int
    placements: int
    placed_total: int
    seconds: float
    orders_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    submit_p50_ms: float
    submit_p95_ms: float
    errors: int
    python_cpu_ms: float  # per measured placement, summed over the workers
    server_cpu_ms: float | None
    error_samples: list[str] = field(default_factory=list)
    ratio_to_pgbench: float = 0.0
    # pgbench's CPU per transaction / this scenario's CPU per placement: the ratio to expect when
    # both are CPU-bound on a machine of their own (this one is shared: see the load average).
    cpu_normalized_ratio: float | None = None


# --- the server and pgbench --------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    url: str
    host: str
    port: int
    user: str
    password: str
    database: str

    def url_for(self, database: str) -> str:
        parts = urlsplit(self.url)
        return parts._replace(path=f"/{database}").geturl()


def server_from(url: str) -> Server:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise BenchError(f"{url!r} is not a postgres:// URL; this benchmark needs PostgreSQL.")
    database = unquote(parts.path.lstrip("/"))
    if not re.fullmatch(r"[A-Za-z0-9_]+", database or "") or "bench" not in database:
        raise BenchError(
            f"the database {database!r} would be dropped and recreated; give the benchmark its own "
            "(a name of letters, digits and _ containing 'bench', e.g. huoyuan_bench)."
        )
    return Server(
        url=url,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or ""),
        database=database,
    )


def _admin(server: Server, name: str, *, create: bool) -> None:
    import psycopg
    from psycopg import sql

    try:
        with psycopg.connect(server.url_for("postgres"), autocommit=True, connect_timeout=5) as db:
            db.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            if create:
                db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        raise BenchError(
            f"PostgreSQL is not reachable at {server.host}:{server.port} as {server.user} "
            f"({str(exc).strip().splitlines()[0]}). Start it, or point DATABASE_URL (or "
            "--database-url) at a server this benchmark may create databases on."
        ) from None


def recreate(server: Server, name: str) -> None:
    _admin(server, name, create=True)


def drop(server: Server, name: str) -> None:
    _admin(server, name, create=False)


def pgbench_binary() -> str:
    found = shutil.which("pgbench") or (PGBENCH_FALLBACK if Path(PGBENCH_FALLBACK).exists() else "")
    if not found:
        raise BenchError("pgbench not found: install postgresql-client (Debian ships it).")
    return found


def _pgbench_command(server: Server, database: str, *args: str) -> tuple[list[str], dict[str, str]]:
    command = [
        pgbench_binary(), "-h", server.host, "-p", str(server.port), "-U", server.user, *args,
        database,
    ]  # fmt: skip
    env = {**os.environ, **({"PGPASSWORD": server.password} if server.password else {})}
    return command, env


def pgbench(server: Server, database: str, *args: str) -> str:
    command, env = _pgbench_command(server, database, *args)
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        raise BenchError(f"`{' '.join(command)}` failed:\n{done.stdout}{done.stderr}")
    return done.stdout + done.stderr


def _client_backends(server: Server, database: str) -> list[int]:
    import psycopg

    with psycopg.connect(server.url_for("postgres"), autocommit=True, connect_timeout=5) as db:
        rows = db.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = %s AND backend_type = 'client backend'",
            [database],
        ).fetchall()
    return [int(row[0]) for row in rows]


def _cpu_of(pids: list[int]) -> float | None:
    from orders_world import proc_cpu_s

    seen = [proc_cpu_s(pid) for pid in pids]
    return None if not seen or None in seen else sum(s for s in seen if s is not None)


def pgbench_tps(server: Server, database: str, seconds: int) -> dict[str, Any]:
    """TPC-B with 8 clients on 2 threads; also the CPU it costs per transaction (client: pgbench's
    own; server: its 8 backends' between two samples inside the run), when visible from here."""
    command, env = _pgbench_command(server, database, "-c", "8", "-j", "2", "-T", str(seconds))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    margin = min(1.0, seconds / 5)
    server_cpu: tuple[float, float] | None = None  # (CPU seconds, wall seconds) of the backends
    launched = time.monotonic()
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    ) as proc:
        pids: list[int] = []
        while len(pids) < 8 and time.monotonic() < launched + seconds / 2 and proc.poll() is None:
            time.sleep(0.05)
            pids = _client_backends(server, database)
        started, cpu_from = time.monotonic(), _cpu_of(pids)
        time.sleep(max(launched + seconds - margin - started, 0.1))
        cpu_to, ended = _cpu_of(pids), time.monotonic()
        if cpu_from is not None and cpu_to is not None and len(pids) >= 8:
            server_cpu = (cpu_to - cpu_from, ended - started)
        out, _err = proc.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise BenchError(f"`{' '.join(command)}` failed:\n{out}")
    tps = re.search(r"^tps = ([\d.]+)", out, re.MULTILINE)
    latency = re.search(r"^latency average = ([\d.]+) ms", out, re.MULTILINE)
    count = re.search(r"^number of transactions actually processed: (\d+)", out, re.MULTILINE)
    if tps is None or count is None:
        raise BenchError(f"could not read tps from pgbench:\n{out}")
    rate, done = float(tps.group(1)), int(count.group(1))
    client_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {
        "tps": rate,
        "latency_ms": float(latency.group(1)) if latency else 0.0,
        "transactions": done,
        "client_cpu_ms_per_txn": client_cpu * 1000 / max(done, 1),
        "server_cpu_ms_per_txn": (
            server_cpu[0] * 1000 / max(rate * server_cpu[1], 1) if server_cpu else None
        ),
    }


# --- running the workers -----------------------------------------------------------------------


def _child(spec: Any, barrier: Any, queue: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # the parent stops us; no tracebacks
    from orders_world import WorkerReport, run_worker

    try:
        report = run_worker(spec, barrier.wait)
    except Exception as exc:
        report = WorkerReport(errors=1, samples=[f"worker crashed: {type(exc).__name__}: {exc}"])
    queue.put(asdict(report))


def run_workers(specs: list[Any], mode: str, timeout: float) -> list[Any]:
    from django.db import connections
    from orders_world import WorkerReport, run_worker

    connections.close_all()  # each worker opens its own connection
    if mode == "threads":
        t_barrier = threading.Barrier(len(specs))
        reports: list[Any] = [None] * len(specs)

        def go(i: int) -> None:
            reports[i] = run_worker(specs[i], t_barrier.wait)

        threads = [threading.Thread(target=go, args=(i,), daemon=True) for i in range(len(specs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout)
        return [r or WorkerReport(errors=1, samples=["worker did not finish"]) for r in reports]
    ctx = multiprocessing.get_context("fork")  # inherits the set-up Django; no re-import
    barrier = ctx.Barrier(len(specs))
    queue = ctx.Queue()
    children = [
        ctx.Process(target=_child, args=(spec, barrier, queue), daemon=True) for spec in specs
    ]
    for child in children:
        child.start()
    try:
        got = [WorkerReport(**queue.get(timeout=timeout)) for _ in children]
    finally:
        for child in children:
            child.join(timeout=5)
            if child.is_alive():
                child.terminate()
    return got


def _cut(values: list[float], q: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def scenario(
    world: Any, *, name: str, mode: str, path: str, buyers: int, sku_ids: list[int], args: Any
) -> Scenario:
    from orders_world import HOT_QUANTITY, SPREAD_QUANTITY, WorkerSpec

    specs = [
        WorkerSpec(
            index=i,
            buyers=world.buyers[i::buyers],
            sku_ids=sku_ids,
            quantity=HOT_QUANTITY if len(sku_ids) == 1 else SPREAD_QUANTITY,
            warmup=args.warmup,
            seconds=args.seconds,
            seed=args.seed * 1000 + i,
            path=path,
        )
        for i in range(buyers)
    ]
    print(f"  {name}, {buyers} buyers, {mode}, {path} ...", flush=True)
    reports = run_workers(specs, mode, timeout=args.warmup + args.seconds + 120)
    latencies = sorted(ms for r in reports for ms in r.latencies_ms)
    submits = sorted(ms for r in reports for ms in r.submit_ms)
    return Scenario(
        name=name,
        mode=mode,
        path=path,
        buyers=buyers,
        placements=len(latencies),
        placed_total=sum(r.placed for r in reports),
        seconds=args.seconds,
        orders_per_s=len(latencies) / args.seconds,
        p50_ms=_cut(latencies, 50),
        p95_ms=_cut(latencies, 95),
        p99_ms=_cut(latencies, 99),
        submit_p50_ms=_cut(submits, 50),
        submit_p95_ms=_cut(submits, 95),
        errors=sum(r.errors for r in reports),
        python_cpu_ms=sum(r.python_cpu_s for r in reports) * 1000 / max(len(latencies), 1),
        server_cpu_ms=None
        if any(r.server_cpu_s is None for r in reports)
        else sum(r.server_cpu_s for r in reports) * 1000 / max(len(latencies), 1),
        error_samples=[s for r in reports for s in r.samples][:5],
    )


# --- the report --------------------------------------------------------------------------------


def table(results: list[Scenario]) -> str:
    header = (
        "scenario", "mode", "placement", "buyers", "orders/s", "p50 ms", "p95 ms", "p99 ms",
        "submit p50", "CPU ms py+pg", "errors", "vs pgbench tps", "CPU-normalized",
    )  # fmt: skip
    rows = [
        (
            r.name, r.mode, r.path, str(r.buyers), f"{r.orders_per_s:,.1f}", f"{r.p50_ms:.1f}",
            f"{r.p95_ms:.1f}", f"{r.p99_ms:.1f}", f"{r.submit_p50_ms:.1f}",
            f"{r.python_cpu_ms:.1f}+{'?' if r.server_cpu_ms is None else f'{r.server_cpu_ms:.1f}'}",
            str(r.errors), f"{r.ratio_to_pgbench:.3f}",
            "?" if r.cpu_normalized_ratio is None else f"{r.cpu_normalized_ratio:.3f}",
        )
        for r in results
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(
            c.rjust(w) if i >= 3 else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def verdicts(results: list[Scenario], tps: float) -> list[dict[str, Any]]:
    out = []
    for mode, path in dict.fromkeys((r.mode, r.path) for r in results):
        spread = next(r for r in results if (r.mode, r.path, r.name) == (mode, path, "spread"))
        hot = next(r for r in results if (r.mode, r.path, r.name) == (mode, path, "hot SKU"))
        out.append(
            {
                "rule": f"spread orders/s >= {SPREAD_TARGET:g} x pgbench tps ({mode}, {path})",
                "value": round(spread.orders_per_s / tps, 3),
                "passed": spread.orders_per_s >= SPREAD_TARGET * tps,
            }
        )
        out.append(
            {
                "rule": f"hot-SKU orders/s >= {HOT_TARGET:g} x spread orders/s ({mode}, {path})",
                "value": round(hot.orders_per_s / spread.orders_per_s, 3)
                if spread.orders_per_s
                else 0.0,
                "passed": spread.orders_per_s > 0
                and hot.orders_per_s >= HOT_TARGET * spread.orders_per_s,
            }
        )
    return out


def print_profile(summary: dict[str, Any]) -> None:
    steps = ", ".join(f"{k} {v}" for k, v in summary["queries_by_step"].items())
    hold = summary["hot_lock_hold_ms"]
    control = summary["transaction_control_statements"]
    print(
        f"\nOne buyer placing {summary['placements']} orders in a row by {summary['path']} "
        "(no other placement running; "
        "the machine itself is shared):\n"
        f"  SQL statements per placement: {summary['queries_per_placement']} ({steps}); "
        f"{summary['queries_per_placement'] - control} queries + {control} BEGIN/COMMIT/SAVEPOINT, "
        "each a round trip\n"
        f"  {summary['ms_per_placement']:.2f} ms each: {summary['sql_ms_per_placement']:.2f} ms "
        f"inside cursor.execute (driver, round trip, server), "
        f"{summary['python_ms_per_placement']:.2f} ms Python around it\n"
        f"  a SKU row stays locked {hold:.2f} ms per placement (its FOR UPDATE to the commit): "
        f"one hot SKU takes about {1000 / max(hold, 1e-9):,.0f} placements/s at that hold time"
    )
    python_cpu = summary["python_cpu_ms_per_placement"]
    server_cpu = summary["server_cpu_ms_per_placement"]
    if server_cpu is not None:
        cores = os.cpu_count() or 1
        print(
            f"  CPU per placement: {python_cpu:.2f} ms Python + {server_cpu:.2f} ms PostgreSQL "
            f"backend = {python_cpu + server_cpu:.2f} ms: at most "
            f"{cores * 1000 / (python_cpu + server_cpu):,.0f} placements/s on {cores} CPUs"
        )
    else:
        print(f"  CPU per placement: {python_cpu:.2f} ms Python (server CPU not visible)")
    print("  where cProfile sees the time (self time by area):")
    for area, share in summary["profile_share"].items():
        print(f"    {share * 100:5.1f}%  {area}")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = parser.add_argument
    add("--quick", action="store_true", help="short run on a small seed (about a minute)")
    add("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_URL)
    add("--seconds", type=float, help="measured seconds per scenario (20; quick 5)")
    add("--warmup", type=float, help="unmeasured seconds before each scenario (2; quick 1)")
    add("--pgbench-seconds", type=int, help="pgbench -T, run before and after (20; quick 5)")
    add("--spread-buyers", type=int, default=16, help="concurrent buyers, many SKUs (16)")
    add("--hot-buyers", type=int, default=32, help="concurrent buyers on one SKU (32)")
    add(
        "--mode",
        choices=("processes", "threads", "both"),
        default="both",
        help="workers as threads (own connection each), forked processes, or both (default)",
    )
    add("--suppliers", type=int, help="suppliers to seed (20; quick 4)")
    add("--products", type=int, help="products per supplier (20; quick 10)")
    add("--skus", type=int, default=5, help="SKUs per product (5)")
    add("--buyers", type=int, help="buyer organizations, shared out to the workers (256; quick 64)")
    add("--spread-stock", type=int, default=1_000_000, help="stock of every spread SKU")
    add("--hot-stock", type=int, default=1_000_000_000, help="stock of the hot SKU")
    add("--pay-share", type=float, default=0.25, help="share of payments captured by webhook")
    add("--profile-placements", type=int, help="placements timed and profiled (200; quick 40)")
    add(
        "--placement",
        choices=("cart", "buy-now", "both"),
        default="both",
        help="what a placement is: cart (add, quote, checkout), buy-now (quote, submit), or both",
    )
    add("--seed", type=int, default=1)
    add("--keep-db", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args(argv)
    for key, value in PRESETS["quick" if args.quick else "full"].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if min(args.seconds, args.pgbench_seconds, args.suppliers, args.products, args.skus) <= 0:
        parser.error("sizes and durations must be positive")
    if args.warmup < 0 or not 0 <= args.pay_share <= 1 or args.profile_placements < 1:
        parser.error("--warmup >= 0, --pay-share from 0 to 1, --profile-placements >= 1")
    if args.skus > 100:
        parser.error("--skus: a product has at most 100 SKUs")
    if min(args.spread_buyers, args.hot_buyers) < 1 or args.buyers < max(
        args.spread_buyers, args.hot_buyers
    ):
        parser.error("--buyers must be at least the largest number of concurrent buyers")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    data_dir = Path(tempfile.mkdtemp(prefix="huoyuan-bench-orders-"))
    server: Server | None = None
    created: list[str] = []
    try:
        server = server_from(args.database_url)
        scratch = f"{server.database}_pgbench"
        load = [os.getloadavg()[0]]
        began = time.perf_counter()
        recreate(server, server.database)
        created.append(server.database)
        os.environ.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=args.database_url,
            HUOYUAN_DATA_DIR=str(data_dir),
            HUOYUAN_LOG_LEVEL="WARNING",
        )
        sys.path.insert(0, str(REPO))
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        call_command("createcachetable", verbosity=0)
        print(f"Migrated {server.database} in {time.perf_counter() - began:.1f} s.", flush=True)

        import orders_world

        began = time.perf_counter()
        world = orders_world.seed(
            suppliers=args.suppliers,
            products=args.products,
            skus=args.skus,
            buyers=args.buyers,
            spread_stock=args.spread_stock,
            hot_stock=args.hot_stock,
            progress=lambda line: print(line, flush=True),
        )
        print(
            f"Seeded {len(world.spread_sku_ids)} spread SKUs, 1 hot SKU and {args.buyers} buyers "
            f"in {time.perf_counter() - began:.1f} s.",
            flush=True,
        )

        recreate(server, scratch)
        created.append(scratch)
        pgbench(server, scratch, "-i", "-s", "8", "-q")
        print(f"pgbench TPC-B, -c 8 -j 2 -T {args.pgbench_seconds} (before) ...", flush=True)
        baseline = [pgbench_tps(server, scratch, args.pgbench_seconds)]

        warmed = orders_world.warm_up(world)
        modes = ["processes", "threads"] if args.mode == "both" else [args.mode]
        results: list[Scenario] = []
        print(
            f"Placements: {args.warmup:g} s warm-up + {args.seconds:g} s each; "
            f"{os.cpu_count()} CPUs shared by Python, PostgreSQL and pgbench.",
            flush=True,
        )
        paths = ["cart", "buy-now"] if args.placement == "both" else [args.placement]
        for mode in modes:
            for path in paths:
                for name, buyers, sku_ids in (
                    ("spread", args.spread_buyers, world.spread_sku_ids),
                    ("hot SKU", args.hot_buyers, [world.hot_sku_id]),
                ):
                    results.append(
                        scenario(
                            world,
                            name=name,
                            mode=mode,
                            path=path,
                            buyers=buyers,
                            sku_ids=sku_ids,
                            args=args,
                        )
                    )
        print(f"pgbench TPC-B, -c 8 -j 2 -T {args.pgbench_seconds} (after) ...", flush=True)
        baseline.append(pgbench_tps(server, scratch, args.pgbench_seconds))
        drop(server, scratch)
        created.remove(scratch)
        load.append(os.getloadavg()[0])

        RESULTS.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        profiles: list[tuple[dict[str, Any], str, Path]] = []
        for path in paths:
            prof = RESULTS / f"orders-{stamp}-{path}.prof"
            print(f"Profiling {args.profile_placements} placements ({path}) ...", flush=True)
            summary, profile_text = orders_world.profile(
                world, placements=args.profile_placements, out_prof=str(prof), path=path
            )
            profiles.append((summary, profile_text, prof))
        paid = orders_world.pay_share(args.pay_share, seed=args.seed)
        placed = (
            sum(r.placed_total for r in results)
            + sum(p[0]["orders_placed"] for p in profiles)
            + warmed
        )
        problems = orders_world.invariants(world, placed=placed)
    except BenchError as error:
        print(f"bench/orders.py: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        shutil.rmtree(data_dir, ignore_errors=True)
        if server is not None:
            for name in created:
                if name != server.database or not args.keep_db:
                    try:
                        drop(server, name)
                    except BenchError as error:
                        print(f"bench/orders.py: could not drop {name}: {error}", file=sys.stderr)

    tps = statistics.mean(b["tps"] for b in baseline)
    server_txn = [b["server_cpu_ms_per_txn"] for b in baseline]
    txn_cpu = (
        statistics.mean(b["client_cpu_ms_per_txn"] + b["server_cpu_ms_per_txn"] for b in baseline)
        if None not in server_txn
        else None
    )
    for r in results:
        r.ratio_to_pgbench = r.orders_per_s / tps
        if txn_cpu is not None and r.server_cpu_ms is not None and r.placements:
            r.cpu_normalized_ratio = txn_cpu / (r.python_cpu_ms + r.server_cpu_ms)
    print(
        f"\npgbench TPC-B tps: {baseline[0]['tps']:,.0f} before, {baseline[1]['tps']:,.0f} after; "
        f"baseline {tps:,.0f} (mean). Load average (1 min) {load[0]:.1f} at the start, "
        f"{load[1]:.1f} after the placements, on {os.cpu_count()} CPUs."
    )
    if txn_cpu is not None:
        print(
            f"CPU per TPC-B transaction: {txn_cpu:.3f} ms (pgbench client "
            f"{statistics.mean(b['client_cpu_ms_per_txn'] for b in baseline):.3f} + its backends "
            f"{statistics.mean(server_txn):.3f}); CPU per placement in the table (Python workers "
            "+ their backends)."
        )
    print()
    print(table(results))
    judged = verdicts(results, tps)
    print()
    for v in judged:
        print(f"Target: {v['rule']}: {v['value']:.3f} {'PASS' if v['passed'] else 'FAIL'}")
    for summary, _text, _prof in profiles:
        print_profile(summary)
    print(f"Webhooks delivered (pay share {args.pay_share:g}): {paid}")
    if problems:
        print(f"invariants: {len(problems)} VIOLATED", file=sys.stderr)
        for problem in problems[:50]:
            print(f"  {problem}", file=sys.stderr)
    else:
        print(f"invariants: OK ({placed} orders: ledger balanced, stock adds up, nothing negative)")
    for r in results:
        if r.errors:
            print(
                f"ERRORS {r.name} ({r.mode}): {r.errors} failed placements, e.g. "
                f"{'; '.join(r.error_samples)}",
                file=sys.stderr,
            )

    text = RESULTS / f"orders-{stamp}-profile.txt"
    text.write_text(
        "".join(
            f"=== {summary['path']} ===\n{profile_text}\nStatements of one placement:\n"
            + "\n".join(summary["statements"])
            + "\n\n"
            for summary, profile_text, _prof in profiles
        )
    )
    out = RESULTS / f"orders-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "when": stamp,
                "args": vars(args),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    "load_average_1min": {"start": load[0], "after_placements": load[1]},
                },
                "pgbench": {"runs": baseline, "tps": tps},
                "results": [asdict(r) for r in results],
                "targets": judged,
                "profile": [p[0] for p in profiles],
                "webhooks": paid,
                "invariants": problems,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    profs = ", ".join(str(p[2].relative_to(REPO)) for p in profiles)
    print(f"Results: {out.relative_to(REPO)}, {text.relative_to(REPO)}, {profs}")
    return 1 if problems or any(r.errors for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
