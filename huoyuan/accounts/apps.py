from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "huoyuan.accounts"
    label = "accounts"
    verbose_name = "accounts and organizations"
