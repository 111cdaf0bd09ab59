from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from huoyuan.core.admin import PublicContentAdmin
from huoyuan.suppliers.models import FactoryPhoto, IndustrialBelt, SupplierProfile
from huoyuan.suppliers.services import verification_record


@admin.register(IndustrialBelt)
class IndustrialBeltAdmin(PublicContentAdmin):
    list_display = ["slug", "name_zh_hans", "name_en", "province", "city", "position"]
    search_fields = ["slug", "name_zh_hans", "name_en", "name_de"]


class FactoryPhotoInline(admin.TabularInline[FactoryPhoto, SupplierProfile]):
    model = FactoryPhoto
    extra = 0


@admin.register(SupplierProfile)
class SupplierProfileAdmin(PublicContentAdmin):
    list_display = [
        "organization",
        "business_type",
        "belt",
        "verification_level",
        "verification_requested_at",
    ]
    list_filter = ["verification_level", "business_type", "belt"]
    search_fields = ["organization__name"]
    list_select_related = ["organization", "belt"]
    inlines = [FactoryPhotoInline]
    readonly_fields = ["verification_requested_at", "verified_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if "verification_level" in form.changed_data:
            # The same bookkeeping as the operator's page: clears the request, stamps the date.
            verification_record(profile=obj, level=obj.verification_level)
