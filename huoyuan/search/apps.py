from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "huoyuan.search"
    label = "search"
    verbose_name = "search"

    def ready(self) -> None:
        from huoyuan.catalogue.contracts import products_changed
        from huoyuan.search.signals import products_changed_receiver

        products_changed.connect(products_changed_receiver, dispatch_uid="search-index")
