"""The program tests/test_crash_safety.py runs and kills: a marketplace server's trading work.

    python -m tests.crash.driver setup DIR          migrate the database the environment names, seed
    python -m tests.crash.driver run DIR SEED FIRST check; then fork one worker per "next" on stdin

A worker trades without pause through the real services: checkout, signed sandbox webhooks (some
delivered twice, some late or out of order), bank transfers matched by the operator, shipping
(some partial), receipt and escrow release, refunds, cancellations, the expiry and auto-confirm
sweeps, payouts requested and paid. When a service call returns (its transaction committed) the
worker appends an acknowledgement to DIR/acks and fsyncs it, as a server answers its client.

The test SIGKILLs the worker at a random moment. The parent then reports how the worker died and
what it was doing (a byte the worker keeps in shared memory), looks at the database as a restarted
server would, and reports every broken invariant found (JSON lines on stdout). Forking workers
from one set-up process keeps 200 kills affordable (a fresh interpreter with Django costs about a
second); the test also kills whole driver processes and starts new ones.

``driver`` is the entry point and sets Django up before it imports the rest: ``seed`` (the
marketplace the workers trade in), ``worker`` with its actions (``checkout``, ``paying``,
``fulfilment``, ``payouts``), ``checks`` and ``notices`` (what a restarted server verifies).
``state`` (the shared byte) and ``mailbox`` (the email backend) need no Django set up.
"""
