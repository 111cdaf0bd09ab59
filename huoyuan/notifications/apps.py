from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "huoyuan.notifications"
    label = "notifications"
    verbose_name = "notifications"
