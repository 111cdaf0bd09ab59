from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "huoyuan.orders"
    label = "orders"
    verbose_name = "orders"
