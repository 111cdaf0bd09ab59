"""Model fields shared by the apps."""

from __future__ import annotations

from typing import Any

from django.db import models


class OrderedPairsField(models.JSONField):
    """A ``dict[str, str]`` in Python whose key order survives PostgreSQL.

    ``jsonb`` reorders object keys (shorter keys first), so "colour / size" came back as
    "size / colour" there but not on SQLite. The value is stored as a JSON array of
    ``[name, value]`` pairs, which keeps its order everywhere, and read back as a dict.
    """

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            value = [[key, item] for key, item in value.items()]
        return super().get_prep_value(value)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        value = super().from_db_value(value, expression, connection)
        if isinstance(value, list):
            return {
                str(pair[0]): pair[1] for pair in value if isinstance(pair, list) and len(pair) == 2
            }
        return value
