from __future__ import annotations

from django.tasks import task

from huoyuan.search import index


@task()
def search_index_products(ids: list[int]) -> int:
    """Bring these products' index entries up to date (the worker runs it: the one writer)."""
    return index.index_products(ids)
