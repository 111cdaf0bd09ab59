from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "huoyuan.demo"
    label = "demo"
    verbose_name = "demo data"
