from __future__ import annotations

from typing import Any

import factory

from huoyuan.accounts.contracts import Actor
from huoyuan.catalogue.contracts import PriceBreak, ProductInput, SkuInput
from huoyuan.catalogue.models import Category, Product
from huoyuan.catalogue.services import product_create


class CategoryFactory(factory.django.DjangoModelFactory[Category]):
    class Meta:
        model = Category

    slug = factory.Sequence(lambda n: f"cat-{n}")
    name_zh_hans = factory.Sequence(lambda n: f"类目{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")
    name_de = factory.Sequence(lambda n: f"Kategorie {n}")
    path = factory.Sequence(lambda n: f"{n + 1:04d}.")
    depth = 0

    @classmethod
    def child_of(cls, parent: Category, **kwargs: Any) -> Category:
        n = parent.children.count() + 1
        return cls(parent=parent, path=f"{parent.path}{n:04d}.", depth=parent.depth + 1, **kwargs)


def sku(
    code: str = "A-1",
    *,
    ladder: list[tuple[int, int]] | None = None,
    stock: int = 100,
    moq: int | None = None,
    **extra: Any,
) -> SkuInput:
    pairs = ladder or [(2, 1250), (100, 1100), (1000, 980)]
    return SkuInput(
        code=code,
        attributes=extra.pop("attributes", {"colour": "Black"}),
        stock=stock,
        moq=moq if moq is not None else pairs[0][0],
        ladder=[PriceBreak(q, p) for q, p in pairs],
        **extra,
    )


def product_input(category: Category, **overrides: Any) -> ProductInput:
    values: dict[str, Any] = {
        "category_id": category.pk,
        "title_zh_hans": "酒红陶瓷碗",
        "title_en": "Wine-red ceramic bowl",
        "title_de": "Weinrote Keramikschale",
        "skus": [sku("BOWL-RED"), sku("BOWL-BLUE", attributes={"colour": "Blue"})],
    }
    values.update(overrides)
    return ProductInput(**values)


def make_product(
    actor: Actor, category: Category, *, publish: bool = True, **overrides: Any
) -> Product:
    return product_create(actor=actor, data=product_input(category, **overrides), publish=publish)
