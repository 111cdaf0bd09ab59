"""Load benchmark of the public pages, through the real server (granian, WSGI).

    python bench/pages.py [--products 1000] [--seconds 10] [--concurrency 8] [--workers 2]

Builds a throwaway data folder, migrates and seeds it with ``seed_demo``, starts granian, and
measures each target with the same closed-loop load: ``--concurrency`` client processes, each
with one keep-alive ``http.client`` connection sending the next request as soon as the last
answer is read. /healthz (the framework's minimal endpoint) is the baseline every other target is
compared with, in the same run on the same machine. Prints a table, writes
bench/results/pages-<timestamp>.json, and exits 1 if any request failed. See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
SEED_DATA = [
    REPO / "huoyuan" / "catalogue" / "data" / n
    for n in ("categories.json", "belts.json", "vocabulary.json")
]
SEED_DATA_WAIT_S = 60
SEED_DATA_ATTEMPTS = 20  # check once a minute for up to 20 minutes
TARGET_RATIO = 3.0  # the category page's p50 latency may be at most this multiple of /healthz's
TARGET_PRODUCTS = 1000
HOST = "127.0.0.1"

# Run inside the seeded installation: the root category with the most public products, one of
# its products, and the catalogue size. Uses the catalogue's public selectors, as the pages do.
PICK_TARGETS = """
import json
import django
django.setup()
from huoyuan.catalogue.selectors import ProductFilters, category_roots, product_list_public
def size(category):
    return product_list_public(filters=ProductFilters(category=category)).count()
rows = [(size(c), c.slug, c) for c in category_roots()]
count, slug, root = min(rows, key=lambda row: (-row[0], row[1]))
product = product_list_public(filters=ProductFilters(category=root)).first()
print(json.dumps({
    "category_slug": slug,
    "category_products": count,
    "product_id": product.pk if product else None,
    "public_products": product_list_public(filters=ProductFilters()).count(),
}))
"""


class BenchError(Exception):
    """The benchmark could not run (as opposed to: it ran and requests failed)."""


@dataclass
class Target:
    name: str
    path: str


@dataclass
class Result:
    name: str
    path: str
    requests: int
    errors: int
    seconds: float
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    bytes: int
    p50_ratio: float = 0.0
    rps_ratio: float = 0.0
    error_samples: list[str] = field(default_factory=list)


# --- the data folder ---------------------------------------------------------------------------


def _django(
    env: dict[str, str], *args: str, capture: bool = False
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        cwd=REPO,
        env=env,
        text=True,
        capture_output=capture,
        check=False,
    )


def _seed_data_missing(output: str = "") -> list[str]:
    missing = [str(p.relative_to(REPO)) for p in SEED_DATA if not p.exists()]
    if not missing and ("FileNotFoundError" in output or "JSONDecodeError" in output):
        # Present but unreadable: a colleague is probably writing them right now.
        missing = ["huoyuan/catalogue/data/*.json (unreadable)"]
    return missing


def prepare_data(products: int) -> tuple[Path, dict[str, str]]:
    """A fresh data folder, migrated and seeded; waits for the seed data files if needed."""
    for attempt in range(1, SEED_DATA_ATTEMPTS + 1):
        missing = _seed_data_missing()
        if not missing:
            data_dir = Path(tempfile.mkdtemp(prefix="huoyuan-bench-"))
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "HUOYUAN_DATA_DIR": str(data_dir),
                "HUOYUAN_LOG_LEVEL": "WARNING",
                "PYTHONPATH": os.pathsep.join(
                    filter(None, [str(REPO), os.environ.get("PYTHONPATH")])
                ),
            }
            started = time.perf_counter()
            for args in (("migrate", "--no-input", "-v", "0"), ("createcachetable",)):
                done = _django(env, *args, capture=True)
                if done.returncode:
                    shutil.rmtree(data_dir, ignore_errors=True)
                    raise BenchError(
                        f"`django {' '.join(args)}` failed:\n{done.stdout}{done.stderr}"
                    )
            print(f"Seeding {products} products into {data_dir} ...", flush=True)
            done = _django(env, "seed_demo", "--products", str(products), capture=True)
            if done.returncode == 0:
                print(f"  migrated and seeded in {time.perf_counter() - started:.1f} s", flush=True)
                return data_dir, env
            shutil.rmtree(data_dir, ignore_errors=True)
            missing = _seed_data_missing(done.stdout + done.stderr)
            if not missing:
                raise BenchError(f"seed_demo failed:\n{done.stdout}{done.stderr}")
        if attempt == SEED_DATA_ATTEMPTS:
            break
        print(
            f"Seed data not ready ({', '.join(missing)}); checking again in {SEED_DATA_WAIT_S} s "
            f"(attempt {attempt}/{SEED_DATA_ATTEMPTS}).",
            flush=True,
        )
        time.sleep(SEED_DATA_WAIT_S)
    raise BenchError(f"seed data still missing after {SEED_DATA_ATTEMPTS} minutes")


def pick_targets(env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", PICK_TARGETS],
        cwd=REPO,
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )
    if done.returncode:
        raise BenchError(f"could not choose the targets:\n{done.stderr}")
    picked: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if not picked["product_id"]:
        raise BenchError("the seeded catalogue has no public product; use --products 1 or more")
    return picked


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@contextmanager
def granian(
    env: dict[str, str], port: int, workers: int, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    command = [
        sys.executable, "-m", "granian", "--interface", "wsgi", "config.wsgi:application",
        "--host", HOST, "--port", str(port), "--workers", str(workers), "--no-ws",
    ]  # fmt: skip
    with log.open("wb") as out:
        # Its own session: Ctrl-C reaches only us, and we stop the server in order below.
        server = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield server
        finally:
            if server.poll() is None:
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()


def wait_healthy(
    server: subprocess.Popen[bytes], port: int, log: Path, timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"granian exited with {server.returncode}:\n{_tail(log)}")
        with suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        time.sleep(0.2)
    raise BenchError(f"/healthz did not answer within {timeout:.0f} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- the load client ---------------------------------------------------------------------------


def _client(port: int, path: str, warmup: float, seconds: float, barrier: Any, queue: Any) -> None:
    """One connection in a closed loop: warm up, then time every request until the deadline."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # the parent stops us; no tracebacks
    latencies: list[float] = []
    errors = 0
    samples: list[str] = []
    size = 0
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    barrier.wait()
    measure_from = time.perf_counter() + warmup
    until = measure_from + seconds
    while (started := time.perf_counter()) < until:
        problem = ""
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                problem = f"HTTP {response.status}"
            if response.will_close:
                conn.close()
        except (OSError, http.client.HTTPException) as exc:
            problem = f"{type(exc).__name__}: {exc}"
            conn.close()
        finished = time.perf_counter()
        if started < measure_from:
            continue
        latencies.append((finished - started) * 1000)
        if problem:
            errors += 1
            if len(samples) < 5:
                samples.append(problem)
        else:
            size = len(body)
    conn.close()
    queue.put({"latencies": latencies, "errors": errors, "samples": samples, "bytes": size})


def measure(
    target: Target, *, port: int, concurrency: int, warmup: float, seconds: float
) -> Result:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(concurrency)
    queue = ctx.Queue()
    clients = [
        ctx.Process(
            target=_client, args=(port, target.path, warmup, seconds, barrier, queue), daemon=True
        )
        for _ in range(concurrency)
    ]
    for client in clients:
        client.start()
    try:
        reports = [queue.get(timeout=warmup + seconds + 60) for _ in clients]
    except BaseException:  # Ctrl-C, SIGTERM or a stuck client: stop them all now
        for client in clients:
            client.terminate()
        raise
    finally:
        for client in clients:
            client.join(timeout=5)
    latencies = sorted(ms for r in reports for ms in r["latencies"])
    if not latencies:
        raise BenchError(f"no request to {target.path} completed")
    cuts = (
        statistics.quantiles(latencies, n=100, method="inclusive")
        if len(latencies) > 1
        else latencies * 99
    )
    return Result(
        name=target.name,
        path=target.path,
        requests=len(latencies),
        errors=sum(r["errors"] for r in reports),
        seconds=seconds,
        requests_per_s=len(latencies) / seconds,
        p50_ms=statistics.median(latencies),
        p95_ms=cuts[94],
        bytes=max(r["bytes"] for r in reports),
        error_samples=[s for r in reports for s in r["samples"]][:5],
    )


# --- the report --------------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    header = (
        "target",
        "path",
        "req/s",
        "p50 ms",
        "p95 ms",
        "errors",
        "p50 vs base",
        "req/s vs base",
    )
    rows = [
        (
            r.name, r.path, f"{r.requests_per_s:,.0f}", f"{r.p50_ms:.2f}", f"{r.p95_ms:.2f}",
            str(r.errors), f"{r.p50_ratio:.2f}x", f"{r.rps_ratio:.2f}x",
        )
        for r in results
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    numeric = range(2, len(header))

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--products", type=int, default=1000, help="demo products to seed (default 1000)"
    )
    parser.add_argument(
        "--seconds", type=float, default=10, help="measured seconds per target (default 10)"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="client connections (default 8)")
    parser.add_argument(
        "--workers", type=int, default=2, help="granian worker processes (default 2)"
    )
    parser.add_argument(
        "--warmup", type=float, default=1, help="unmeasured seconds per target first (default 1)"
    )
    parser.add_argument("--keep-data", action="store_true", help="keep the throwaway data folder")
    args = parser.parse_args(argv)
    if (
        args.products < 1
        or args.seconds <= 0
        or args.concurrency < 1
        or args.workers < 1
        or args.warmup < 0
    ):
        parser.error("--products, --seconds, --concurrency and --workers must be positive")

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    data_dir: Path | None = None
    try:
        data_dir, env = prepare_data(args.products)
        picked = pick_targets(env)
        targets = [
            Target("minimal endpoint (baseline)", "/healthz"),
            Target(
                f"category page ({picked['category_products']} products)",
                f"/c/{picked['category_slug']}/",
            ),
            # An unknown query parameter bypasses the anonymous page cache: the cost of a render.
            Target(
                f"category page, uncached ({picked['category_products']} products)",
                f"/c/{picked['category_slug']}/?bench=uncached",
            ),
            Target("API product list", "/api/products?page=1"),
            Target("product page", f"/p/{picked['product_id']}/"),
        ]
        port = free_port()
        log = data_dir / "granian.log"
        with granian(env, port, args.workers, log) as server:
            wait_healthy(server, port, log)
            print(
                f"granian on {HOST}:{port}, {args.workers} workers; "
                f"{args.concurrency} connections, {args.warmup:g} s warm-up + {args.seconds:g} s "
                f"per target; {os.cpu_count()} CPUs shared by server and client.\n",
                flush=True,
            )
            results = []
            for target in targets:
                results.append(
                    measure(
                        target,
                        port=port,
                        concurrency=args.concurrency,
                        warmup=args.warmup,
                        seconds=args.seconds,
                    )
                )
                if server.poll() is not None:
                    raise BenchError(f"granian died during {target.path}:\n{_tail(log)}")
    except BenchError as error:
        print(f"bench/pages.py: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted; server stopped.", file=sys.stderr)
        return 130
    finally:
        if data_dir is not None and not args.keep_data:
            shutil.rmtree(data_dir, ignore_errors=True)

    base = results[0]
    for r in results:
        r.p50_ratio = r.p50_ms / base.p50_ms
        r.rps_ratio = r.requests_per_s / base.requests_per_s
    print(table(results))

    category = results[1]
    passed = category.p50_ratio <= TARGET_RATIO
    note = (
        ""
        if args.products == TARGET_PRODUCTS
        else f" (seeded {args.products}, target is stated at {TARGET_PRODUCTS:,})"
    )
    print(
        f"\nTarget: category page at {TARGET_PRODUCTS:,} products within {TARGET_RATIO:g}x of "
        f"the minimal endpoint's p50 latency: {category.p50_ratio:.2f}x "
        f"{'PASS' if passed else 'FAIL'}{note}"
    )
    failed = [r for r in results if r.errors]
    for r in failed:
        print(
            f"ERRORS {r.path}: {r.errors} failed requests, e.g. {'; '.join(r.error_samples)}",
            file=sys.stderr,
        )

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"pages-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "when": stamp,
                "args": vars(args),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                },
                "seeded": picked,
                "results": [asdict(r) for r in results],
                "target": {
                    "rule": (
                        f"category p50 <= {TARGET_RATIO:g} x /healthz p50 "
                        f"at {TARGET_PRODUCTS} products"
                    ),
                    "ratio": round(category.p50_ratio, 3),
                    "passed": passed,
                },
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"Results: {out.relative_to(REPO)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
