"""Fixtures the supplier tests share."""

import pytest
from django.utils import translation

from huoyuan.suppliers.models import IndustrialBelt


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def yiwu(db):
    return IndustrialBelt.objects.create(
        slug="yiwu",
        name_zh_hans="义乌小商品",
        name_en="Yiwu small commodities",
        name_de="Yiwu Kleinwaren",
        province="浙江",
        city="义乌",
        position=0,
    )


@pytest.fixture
def dehua(db):
    return IndustrialBelt.objects.create(
        slug="dehua",
        name_zh_hans="德化陶瓷",
        name_en="Dehua ceramics",
        name_de="Dehua Keramik",
        province="福建",
        city="德化",
        position=1,
    )
