"""What the driver and its forked worker share: where the worker is when it dies."""

from __future__ import annotations

from typing import Any

# Where the worker is when it dies (the byte at DIR/state): in its own code (reads included), in a
# service call but outside a transaction, inside a transaction, committing, writing its ack.
IDLE, SERVICE, TXN, COMMIT, ACK = range(5)
STATE_NAMES = ["idle", "service", "txn", "commit", "ack"]
STATE: Any = bytearray(1)  # driver.main() maps DIR/state over it; use it as state.STATE
CURRENCY = "CNY"
