from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from huoyuan.demo.seed import DEMO_DOMAIN, DEMO_PASSWORD, DemoLogin, demo_logins, seed


class Command(BaseCommand):
    help = "Fill an empty database with deterministic demo data (suppliers, products, buyers)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=2026, help="random seed (same seed, same data)"
        )
        parser.add_argument("--suppliers", type=int, default=30)
        parser.add_argument("--products", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        if get_user_model().objects.filter(email__endswith="@" + DEMO_DOMAIN).exists():
            self.stdout.write("Demo data is already there; nothing to do.")
            self._print_logins(demo_logins())
            return
        if options["suppliers"] < 1 or options["products"] < 0:
            self.stderr.write("--suppliers must be at least 1 and --products at least 0.")
            raise SystemExit(2)

        def progress(stage: str, done: int, total: int) -> None:
            width = 30
            filled = width * done // max(total, 1)
            self.stdout.write(
                f"\r  {stage:<10} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
                ending="",
            )
            if done == total:
                self.stdout.write("")
            self.stdout.flush()

        logins = seed(
            seed=options["seed"],
            suppliers=options["suppliers"],
            products=options["products"],
            progress=progress,
        )
        self.stdout.write(self.style.SUCCESS("Demo data created."))
        self._print_logins(logins)

    def _print_logins(self, logins: list[DemoLogin]) -> None:
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"  {login.email:<40} {login.role}")
