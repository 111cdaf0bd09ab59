"""The catalogue says products changed: with the embedded engine, queue their re-indexing."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def products_changed_receiver(sender: Any, ids: list[int], **kwargs: Any) -> None:
    if settings.SEARCH_BACKEND != "tantivy":
        return
    from huoyuan.search.tasks import search_index_products

    search_index_products.enqueue(ids=[int(i) for i in ids])
