"""The trade loop's clock: expire unpaid orders, auto-confirm receipt, send notification email.

Each sweep is idempotent and safe to run from several processes at once (rows are locked one by
one and re-checked), so a cron job, the demo's worker and a manual run may overlap.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from huoyuan.notifications.services import notifications_email_pending
from huoyuan.orders.services import orders_auto_confirm_due, orders_expire_due


class Command(BaseCommand):
    help = "Run the trade loop's timed jobs every --interval seconds (or --once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run each sweep once and exit")
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between sweeps")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] <= 0:
            self.stderr.write("--interval must be a positive number of seconds.")
            raise SystemExit(2)
        while True:
            expired = orders_expire_due()
            confirmed = orders_auto_confirm_due()
            emailed = notifications_email_pending()
            if expired or confirmed or emailed or options["once"]:
                self.stdout.write(
                    f"trade clock: {expired} unpaid orders expired, {confirmed} receipts "
                    f"auto-confirmed, {emailed} notifications emailed",
                )
            if options["once"]:
                return
            time.sleep(options["interval"])
