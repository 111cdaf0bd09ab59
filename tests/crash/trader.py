"""The base of a worker: the seeded world, acknowledgements, service calls, picking rows."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

from huoyuan.accounts.contracts import Actor
from huoyuan.core.errors import DomainError
from tests.crash import state
from tests.crash.state import ACK, IDLE, SERVICE


class Trader:
    """What every action uses: the seeded world, the acknowledgements file, one service call.

    Each action returns False when it found nothing to do.
    """

    def __init__(self, data: Path, world: dict[str, Any], rng: random.Random, number: int) -> None:
        self.rng, self.number = rng, number
        self.operator = Actor(**world["operator"])
        self.suppliers = [Actor(**a) for a in world["suppliers"]]
        self.buyers = [Actor(**a) for a in world["buyers"]]
        self.by_org = {a.organization_id: a for a in [*self.suppliers, *self.buyers]}
        self.addresses = {int(k): v for k, v in world["addresses"].items()}
        self.skus = sorted(int(pk) for pk in world["initial_stock"])
        self.acks = open(data / "acks", "a+", encoding="utf-8")  # noqa: SIM115 - lives until killed
        # End a line the last worker was killed in the middle of: read_acks skips it (no " .").
        if self.acks.tell() and (data / "acks").read_bytes()[-1:] != b"\n":
            self.acks.write("\n")

    def write(self, *words: object, durable: bool = True) -> None:
        state.STATE[0] = ACK
        self.acks.write(" ".join(str(w) for w in (self.number, *words, ".\n")))  # one write()
        self.acks.flush()
        if durable:
            os.fsync(self.acks.fileno())
        state.STATE[0] = IDLE

    def call(self, service: Any, **kwargs: Any) -> Any:
        """Run one service; a refusal (a domain error) is noted, not acknowledged."""
        state.STATE[0] = SERVICE
        try:
            return service(**kwargs)
        except DomainError as error:
            self.write("refused", service.__name__, error.code, durable=False)
            return None
        finally:
            state.STATE[0] = IDLE

    def pick(self, queryset: Any) -> Any:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:40])
        return queryset.model.objects.get(pk=self.rng.choice(ids)) if ids else None
