from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "huoyuan.payments"
    label = "payments"
    verbose_name = "payments"
