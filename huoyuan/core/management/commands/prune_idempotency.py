from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from huoyuan.core.services import idempotency_prune


class Command(BaseCommand):
    help = "Forget stored API responses older than --days (keys stay honoured for at least a day)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["days"] < 1:
            raise CommandError("--days must be at least 1: clients may retry for 24 hours.")
        deleted = idempotency_prune(older_than=timedelta(days=options["days"]))
        self.stdout.write(f"Removed {deleted} stored responses.")
