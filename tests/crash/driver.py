"""The entry point the crash test starts; the package's docstring says what it does.

``python -m tests.crash.driver setup DIR`` migrates and seeds, ``python -m tests.crash.driver run
DIR SEED FIRST`` checks, then forks one worker per "next" on stdin.
"""

from __future__ import annotations

import json
import logging
import mmap
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()  # once per driver: the workers are forked from it, set up and imported

from django.db import connections  # noqa: E402
from django.urls import reverse  # noqa: E402

from huoyuan.notifications import tasks as notifications_tasks  # noqa: E402
from huoyuan.payments import tasks as payments_tasks  # noqa: E402
from tests.crash import state  # noqa: E402
from tests.crash.checks import check  # noqa: E402
from tests.crash.seed import setup  # noqa: E402
from tests.crash.state import IDLE, STATE_NAMES  # noqa: E402
from tests.crash.worker import work  # noqa: E402


def _say(kind: str, payload: Any) -> None:
    sys.stdout.write(f"{kind} {json.dumps(payload)}\n")
    sys.stdout.flush()


def _warm_up() -> None:
    """Import now what the services load on first use (the URLconf and every app's views and
    API, the task backend), so each forked worker starts trading at once."""
    reverse("payments:sandbox_confirm", args=["PAY"])
    notifications_tasks.notifications_email_pending.get_backend()
    payments_tasks.sandbox_deliver.get_backend()


def run(data: Path, seed: str, first: int) -> None:
    world = json.loads((data / "seed.json").read_text())
    _warm_up()
    report = check(data)
    # Where the previous driver's worker was when the test killed that whole driver.
    report["previous_state"] = STATE_NAMES[state.STATE[0]]
    _say("check", report)
    number = first
    while True:
        command = sys.stdin.readline().strip()
        if command == "drain":
            _say("check", check(data, drain=True))
            continue
        if command != "next":
            return
        connections.close_all()  # never share a database connection with the child
        state.STATE[0] = IDLE
        pid = os.fork()
        if pid == 0:
            try:
                work(data, world, seed, number)
            except BaseException:  # anything at all: report it and die
                traceback.print_exc()
                sys.stderr.flush()
            os._exit(1)
        _say("child", {"pid": pid, "number": number})
        _pid, status = os.waitpid(pid, 0)
        died = {
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "state": STATE_NAMES[state.STATE[0]],
        }
        _say("died", died)
        _say("check", check(data))
        number += 1


def main(argv: list[str]) -> None:
    command, data = argv[0], Path(argv[1])
    if command == "setup":
        setup(data)
        return
    logging.disable(logging.WARNING)  # the task runner's chatter; tracebacks still reach stderr
    state_file = data / "state"
    if not state_file.exists():
        state_file.write_bytes(bytes([IDLE]))
    with state_file.open("r+b") as handle:
        state.STATE = mmap.mmap(handle.fileno(), 1)  # shared with the forked workers
    run(data, argv[2], int(argv[3]))


if __name__ == "__main__":
    main(sys.argv[1:])
