"""Fail when a zh-Hans or German catalogue misses, leaves empty or marks fuzzy any message.

Run after scripts/i18n.sh has extracted the current strings: every msgid in the code must have a
reviewed translation, and the committed .mo files must match the .po files.
"""

from __future__ import annotations

import gettext
import subprocess
import sys
import tempfile
from pathlib import Path

LOCALES = ("zh_Hans", "de")
ROOT = Path(__file__).resolve().parent.parent / "huoyuan" / "locale"


def _catalog(path: Path) -> dict[object, str]:
    with path.open("rb") as handle:
        messages = dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]
    messages.pop("", None)  # the header carries dates that change on every extraction
    return messages


def _compare_compiled(po: Path) -> int:
    """The committed .mo must hold exactly what compiling the .po gives (so the demo is current)."""
    mo = po.with_suffix(".mo")
    if not mo.exists():
        print(f"{mo}: missing; run bash scripts/i18n.sh and commit it")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "fresh.mo"
        subprocess.run(["msgfmt", "-o", str(fresh), str(po)], check=True)  # noqa: S603, S607
        if _catalog(fresh) != _catalog(mo):
            print(f"{mo}: stale; run bash scripts/i18n.sh and commit the .mo files")
            return 1
    return 0


def main() -> int:
    failures = 0
    for locale in LOCALES:
        po = ROOT / locale / "LC_MESSAGES" / "django.po"
        if not po.exists():
            print(f"{po}: missing")
            failures += 1
            continue
        for flag, what in (("--untranslated", "untranslated"), ("--only-fuzzy", "fuzzy")):
            out = subprocess.run(  # noqa: S603
                ["msgattrib", flag, "--no-wrap", str(po)],  # noqa: S607
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            ids = [
                line
                for line in out.splitlines()
                if line.startswith("msgid ") and line != 'msgid ""'
            ]
            if ids:
                failures += len(ids)
                print(f"{locale}: {len(ids)} {what} message(s), e.g.:")
                for line in ids[:15]:
                    print("   ", line)
        stats = subprocess.run(  # noqa: S603
            ["msgfmt", "--statistics", "--check-format", "-o", "/dev/null", str(po)],  # noqa: S607
            check=False,
            capture_output=True,
            text=True,
        )
        if stats.returncode:
            failures += 1
            print(f"{locale}: msgfmt --check-format failed:\n{stats.stderr}")
        else:
            print(f"{locale}: {stats.stderr.strip()}")
        failures += _compare_compiled(po)
    if failures:
        print("Translate the entries above (bash scripts/i18n.sh refreshes the catalogues).")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
