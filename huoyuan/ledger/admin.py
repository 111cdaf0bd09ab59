from django.contrib import admin

from huoyuan.ledger.models import Account, Entry, Transaction


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    """The ledger is append-only: the admin shows it, only services write it."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Account)
class AccountAdmin(ReadOnly):
    list_display = ("kind", "organization", "key", "currency", "balance_minor")
    list_filter = ("kind", "currency")


class EntryInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Entry
    extra = 0
    can_delete = False
    fields = ("account", "amount_minor", "currency", "order_id", "balance_after_minor")
    readonly_fields = fields


@admin.register(Transaction)
class TransactionAdmin(ReadOnly):
    list_display = ("reference", "kind", "created_at")
    list_filter = ("kind",)
    search_fields = ("reference",)
    inlines = (EntryInline,)
