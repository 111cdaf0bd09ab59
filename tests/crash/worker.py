"""A forked worker: trades until it is killed, keeping STATE on where it is."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from django.db import connection

from tests.crash import state
from tests.crash.checkout import CheckoutActions
from tests.crash.fulfilment import FulfilmentActions
from tests.crash.paying import PayingActions
from tests.crash.payouts import PayoutActions
from tests.crash.state import COMMIT, SERVICE, TXN


class Worker(CheckoutActions, PayingActions, FulfilmentActions, PayoutActions):
    """Trades without pause, choosing actions at random with fixed weights."""

    def loop(self) -> None:
        actions = [
            (self.checkout, 3),
            (self.webhooks, 4),
            (self.bank_match, 1),
            (self.after_failure, 1),
            (self.cancel, 0.4),
            (self.ship, 3),
            (self.receive, 3),
            (self.refund_decide, 1.5),
            (self.sweep, 0.3),
            (self.payout, 0.7),
            (self.payout_paid, 0.7),
            (self.replay, 0.5),
        ]
        functions, weights = zip(*actions, strict=True)
        while True:
            action = self.rng.choices(functions, weights)[0]
            if action() is False:
                self.checkout()


def _track_transactions() -> None:
    """Keep STATE saying whether the worker holds an open database transaction."""

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if connection.in_atomic_block:
            state.STATE[0] = TXN
        return execute(sql, params, many, context)

    def ending(method: Any) -> Any:
        def run() -> None:
            state.STATE[0] = COMMIT if method.__name__ == "commit" else TXN
            method()
            state.STATE[0] = SERVICE

        return run

    connection.ensure_connection()
    connection.execute_wrappers.append(wrapper)
    connection.commit = ending(connection.commit)  # type: ignore[method-assign]
    connection.rollback = ending(connection.rollback)  # type: ignore[method-assign]


def work(data: Path, world: dict[str, Any], seed: str, number: int) -> None:
    _track_transactions()
    Worker(data, world, random.Random(f"{seed}:{number}"), number).loop()
