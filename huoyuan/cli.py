"""The ``huoyuan`` command.

huoyuan demo [--port P] [--host H]   migrate, seed demo data, run the web server and the worker
huoyuan serve [--port P] [--workers N]  the web server (granian, WSGI) alone
huoyuan worker                       the background task worker and the trade clock
huoyuan search reindex               rebuild the embedded search index from the database
huoyuan manage <args>                any Django management command
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

WILDCARD_HOSTS = frozenset({"0.0.0.0", "::"})  # noqa: S104  # nosec B104 - compared, never bound


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _manage(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def _server_command(host: str, port: int, workers: int, threads: int = 8) -> list[str]:
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "config.wsgi:application",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-ws",
        # Threads per worker that run Django; more only queue on the database and the GIL.
        "--blocking-threads",
        str(threads),
    ]


def _worker_command() -> list[str]:
    return [sys.executable, "-m", "django", "db_worker", "--queue-name", "default"]


def _clock_command() -> list[str]:
    """Expiry of unpaid orders, auto-confirmed receipts, notification email (every 30 s)."""
    return [sys.executable, "-m", "django", "trade_clock"]


def _run_together(commands: list[list[str]], extra_env: dict[str, str] | None = None) -> int:
    """Run the processes side by side; when one stops (or Ctrl-C), stop them all."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **(extra_env or {})}
    procs = [subprocess.Popen(cmd, env=env) for cmd in commands]  # noqa: S603 - our own commands
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and all(p.poll() is None for p in procs):
            time.sleep(0.3)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    failed = [p.returncode for p in procs if p.returncode not in (0, None, -signal.SIGTERM)]
    return 0 if stopping or not failed else failed[0]


def demo(args: argparse.Namespace) -> int:
    if not 1 <= args.port <= 65535:
        print(f"--port must be between 1 and 65535, not {args.port}.", file=sys.stderr)
        return 2
    _setup()
    from django.conf import settings

    print(f"huoyuan demo: data in {settings.DATA_DIR}")
    _manage("migrate", "--no-input", "-v", "0")
    _manage("seed_demo", "--seed", str(args.seed))
    # A wildcard bind address is not something to click: show loopback for it instead.
    shown = "127.0.0.1" if args.host in WILDCARD_HOSTS else args.host
    url = f"http://{shown}:{args.port}/"
    print(f"\n  Marketplace: {url}\n  API docs:    {url}api/docs\n  Admin:       {url}admin/\n")
    print("  Press Ctrl-C to stop.\n", flush=True)
    # The sandbox payment provider calls the demo back over HTTP, as a real provider would.
    webhook = os.environ.get("HUOYUAN_SANDBOX_WEBHOOK_URL") or (
        f"http://{shown}:{args.port}/api/payments/webhooks/sandbox"
    )
    return _run_together(
        [_server_command(args.host, args.port, args.workers), _worker_command(), _clock_command()],
        {"HUOYUAN_SANDBOX_WEBHOOK_URL": webhook},
    )


def serve(args: argparse.Namespace) -> int:
    return _run_together([_server_command(args.host, args.port, args.workers)])


def worker(_args: argparse.Namespace) -> int:
    return _run_together([_worker_command(), _clock_command()])


def search(_args: argparse.Namespace) -> int:
    _setup()
    _manage("search_reindex")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="huoyuan", description="货源 huoyuan wholesale marketplace"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, handler in (("demo", demo), ("serve", serve)):
        p = sub.add_parser(name, help=f"{name} the marketplace")
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument("--workers", type=int, default=1)
        p.set_defaults(handler=handler)
        if name == "demo":
            p.add_argument("--seed", type=int, default=2026, help="demo data seed")
    sub.add_parser("worker", help="run the background task worker").set_defaults(handler=worker)
    search_parser = sub.add_parser("search", help="search index tasks")
    search_parser.add_argument("action", choices=["reindex"], help="rebuild the search index")
    search_parser.set_defaults(handler=search)
    manage = sub.add_parser("manage", help="run a Django management command", add_help=False)
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    from django.core.exceptions import ImproperlyConfigured

    try:
        return _dispatch(args)
    except ImproperlyConfigured as exc:
        print(f"huoyuan: configuration error: {exc}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "manage":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        from django.core.management import execute_from_command_line

        execute_from_command_line(["huoyuan manage", *args.rest])
        return 0
    return int(args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
