"""The small text formats suppliers type into forms and spreadsheets.

``colour=Black; size=M`` for variants, one ``Material=Ceramic`` per line for specifications.
Full-width punctuation from Chinese input methods (；＝) is accepted as well.
"""

from __future__ import annotations


class PairsMalformed(ValueError):
    """A part without a name or a value; callers turn it into their own error message."""


def parse_pairs(raw: str, *, per_line: bool = False) -> dict[str, str]:
    text = (raw or "").replace("＝", "=").replace("；", ";")
    parts = text.splitlines() if per_line else text.split(";")
    pairs: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in parts)):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise PairsMalformed(part)
        pairs[key.strip()] = value.strip()
    return pairs


def format_pairs(pairs: dict[str, str], *, per_line: bool = False) -> str:
    return ("\n" if per_line else "; ").join(f"{k}={v}" for k, v in pairs.items())
