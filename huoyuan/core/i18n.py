"""Content in several languages: one column per language, read in the visitor's language.

Suppliers write at least one language; readers fall back to the others so nothing shows blank.
"""

from __future__ import annotations

from django.utils.translation import get_language

CONTENT_LANGUAGES = ("zh_hans", "en", "de")


def language_suffix(language: str | None = None) -> str:
    code = (language or get_language() or "zh-hans").lower()
    if code.startswith("zh"):
        return "zh_hans"
    if code.startswith("de"):
        return "de"
    return "en"


def fallback_order(language: str | None = None) -> list[str]:
    first = language_suffix(language)
    return [first, *[s for s in ("en", "zh_hans", "de") if s != first]]


class LocalizedFieldsMixin:
    def localized(self, field: str, language: str | None = None) -> str:
        for suffix in fallback_order(language):
            value = getattr(self, f"{field}_{suffix}", "")
            if value:
                return str(value)
        return ""
