from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "huoyuan.ledger"
    label = "ledger"
    verbose_name = "ledger"
