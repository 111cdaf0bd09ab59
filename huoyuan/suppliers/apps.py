from django.apps import AppConfig


class SuppliersConfig(AppConfig):
    name = "huoyuan.suppliers"
    label = "suppliers"
    verbose_name = "suppliers and industrial belts"

    def ready(self) -> None:
        from huoyuan.accounts.contracts import organization_created
        from huoyuan.suppliers.services import on_organization_created

        organization_created.connect(on_organization_created, dispatch_uid="supplier-profile")
