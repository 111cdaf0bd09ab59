from django.contrib import admin

from huoyuan.suppliers.models import FactoryPhoto, IndustrialBelt, SupplierProfile


@admin.register(IndustrialBelt)
class IndustrialBeltAdmin(admin.ModelAdmin[IndustrialBelt]):
    list_display = ["slug", "name_zh_hans", "name_en", "province", "city", "position"]
    search_fields = ["slug", "name_zh_hans", "name_en", "name_de"]


class FactoryPhotoInline(admin.TabularInline[FactoryPhoto, SupplierProfile]):
    model = FactoryPhoto
    extra = 0


@admin.register(SupplierProfile)
class SupplierProfileAdmin(admin.ModelAdmin[SupplierProfile]):
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
