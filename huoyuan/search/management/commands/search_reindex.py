from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from huoyuan.search.index import reindex_all


class Command(BaseCommand):
    help = "Rebuild the embedded search index from the database, showing progress."

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(done: int, total: int) -> None:
            share = 100 * done // total if total else 100
            self.stdout.write(f"indexed {done:,} of {total:,} products ({share} %)")

        count = reindex_all(progress)
        self.stdout.write(self.style.SUCCESS(f"search index rebuilt, products indexed: {count:,}"))
