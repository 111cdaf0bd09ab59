"""The threaded runner the concurrency tests rely on: it must not hide a failed or stuck job."""

from __future__ import annotations

import threading

import pytest

from huoyuan.core.tests.concurrency import run_at_once


def test_runs_every_job_at_once_and_returns_their_results_in_order() -> None:
    arrived = threading.Barrier(3, timeout=10)

    def job(n: int) -> tuple[int, str]:
        arrived.wait()  # passes only when all three run at the same time
        return n, threading.current_thread().name

    results = run_at_once([lambda n=n: job(n) for n in range(3)])

    assert [n for n, _thread in results] == [0, 1, 2]
    assert len({thread for _n, thread in results}) == 3
    assert threading.current_thread().name not in {thread for _n, thread in results}


def test_an_error_in_a_job_is_raised_in_the_test() -> None:
    def broken() -> int:
        raise ValueError("job 2 broke")

    with pytest.raises(ValueError, match="job 2 broke"):
        run_at_once([lambda: 1, broken, lambda: 3])


def test_a_job_still_running_after_the_timeout_fails_the_test() -> None:
    release = threading.Event()
    try:
        with pytest.raises(AssertionError, match="1 of 2 jobs did not finish within 0.2 seconds"):
            run_at_once([lambda: 1, lambda: release.wait(30)], timeout=0.2)
    finally:
        release.set()
