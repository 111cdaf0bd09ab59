"""Verify the books: every transaction sums to zero, every balance equals its entries."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from huoyuan.ledger.selectors import ledger_check


class Command(BaseCommand):
    help = "Check that the ledger balances; exits 1 and lists the problems if it does not."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = ledger_check()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS("ledger: every transaction balances."))
