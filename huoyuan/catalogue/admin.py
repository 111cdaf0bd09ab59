from django.contrib import admin

from huoyuan.catalogue.models import Category, ImportJob, Product
from huoyuan.core.admin import PublicContentAdmin


@admin.register(Category)
class CategoryAdmin(PublicContentAdmin):
    list_display = ["path", "slug", "name_zh_hans", "name_en", "name_de"]
    search_fields = ["slug", "name_zh_hans", "name_en", "name_de"]
    ordering = ["path"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin[Product]):
    """Read-only for the operator: products change through the workbench, where every rule is
    checked (ladders, MOQ, summaries); taking listings down is a moderation feature to come."""

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    list_display = [
        "pk",
        "title_zh_hans",
        "title_en",
        "supplier",
        "status",
        "price_min_minor",
        "updated_at",
    ]
    list_filter = ["status"]
    search_fields = ["title_zh_hans", "title_en", "title_de"]
    list_select_related = ["supplier"]
    raw_id_fields = ["supplier", "category"]
    readonly_fields = [
        "price_min_minor",
        "price_max_minor",
        "moq_min",
        "stock_total",
        "dropship_available",
    ]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin[ImportJob]):
    list_display = [
        "pk",
        "supplier",
        "original_name",
        "status",
        "total_rows",
        "created_count",
        "created_at",
    ]
    list_filter = ["status"]
