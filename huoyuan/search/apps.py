from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "huoyuan.search"
    label = "search"
    verbose_name = "search"
