from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "huoyuan.catalogue"
    label = "catalogue"
    verbose_name = "catalogue"
