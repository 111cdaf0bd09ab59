"""Running test jobs at the same moment, each on its own database connection.

Layer-neutral (the ledger's tests use it as much as the trade's), so it lives in core.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import pytest
from django.db import connection, connections


def skip_unless_concurrent_database() -> None:
    """Skip the test when threads cannot take turns on the test database.

    Django's in-memory SQLite test database is one shared cache whose table locks fail at once
    ("database table is locked") instead of waiting for the busy timeout. A file database in WAL
    mode, as in production (and PostgreSQL), lets them wait.
    """
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("needs the SQLite test database in a file (TEST NAME in settings_test.py)")


def run_at_once[T](jobs: Sequence[Callable[[], T]], *, timeout: float | None = None) -> list[T]:
    """Run each job in a thread of its own, all released together; their results, in order.

    Django gives every thread its own connection, so the jobs really race in the database; each
    thread closes its connections when done, or the test database could not be flushed or
    dropped afterwards. The first error raised in a job is raised again here. With ``timeout``
    (seconds, per thread) a job that has not finished by then fails the test instead of hanging.
    """
    barrier = threading.Barrier(len(jobs))
    results: dict[int, T] = {}
    errors: list[BaseException] = []

    def run(index: int, job: Callable[[], T]) -> None:
        try:
            barrier.wait()
            results[index] = job()
        except BaseException as error:  # noqa: BLE001 - raised again by the calling thread
            errors.append(error)
        finally:
            connections.close_all()

    # Daemon threads: one stuck past the timeout must not keep the test process alive.
    threads = [
        threading.Thread(target=run, args=(index, job), daemon=True)
        for index, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if errors:
        raise errors[0]
    stuck = sum(thread.is_alive() for thread in threads)
    assert not stuck, f"{stuck} of {len(jobs)} jobs did not finish within {timeout} seconds"
    return [results[index] for index in range(len(jobs))]
