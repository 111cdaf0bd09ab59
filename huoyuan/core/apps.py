from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "huoyuan.core"
    label = "core"
    verbose_name = "huoyuan core"
