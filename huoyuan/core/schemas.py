from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict


class StrictIn(Schema):
    """Request bodies: an unknown field is an error, never silently ignored (mass assignment)."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None


class OkOut(Schema):
    ok: bool = True
