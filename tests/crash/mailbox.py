"""The email backend of the crash test's marketplace (HUOYUAN_EMAIL_BACKEND)."""

from __future__ import annotations

import json
import os
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend


class Mailbox(BaseEmailBackend):
    """An email backend standing for the mail server: what it accepted survives our crash."""

    def send_messages(self, messages: list[Any]) -> int:
        with open(os.environ["CRASH_MAILBOX"], "a", encoding="utf-8") as box:
            for message in messages:
                box.write(json.dumps({"to": list(message.to), "body": message.body}) + "\n")
                box.flush()  # written to the kernel: a SIGKILL of this process keeps it
        return len(messages)
