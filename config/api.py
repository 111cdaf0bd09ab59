"""The one JSON API. OpenAPI at /api/openapi.json, interactive docs at /api/docs."""

from __future__ import annotations

from ninja import NinjaAPI

from huoyuan.accounts.api import router as accounts_router
from huoyuan.catalogue.api import public as catalogue_public
from huoyuan.catalogue.api import supplier as catalogue_supplier
from huoyuan.core.api import router as core_router
from huoyuan.core.api_errors import install_error_handlers
from huoyuan.notifications.api import router as notifications_router
from huoyuan.orders.api import public as orders_public
from huoyuan.orders.api import router as orders_router
from huoyuan.payments.api import operator as payments_operator
from huoyuan.payments.api import router as payments_router
from huoyuan.payments.api import supplier as payments_supplier
from huoyuan.payments.api import webhooks as payments_webhooks
from huoyuan.search.api import router as search_router
from huoyuan.suppliers.api import operator as suppliers_operator
from huoyuan.suppliers.api import public as suppliers_public
from huoyuan.suppliers.api import supplier as suppliers_supplier

api = NinjaAPI(
    title="huoyuan API",
    version="1",
    description=(
        "B2B wholesale sourcing marketplace. Authenticate with 'Authorization: Bearer <token>' "
        "(create tokens under Account → API tokens) or a browser session. Money is integer minor "
        "units plus a currency. Send an Idempotency-Key header on any POST/PUT/DELETE to make "
        "retries safe. Errors are {code, message, field}."
    ),
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("", core_router)
api.add_router("", catalogue_public)
api.add_router("", suppliers_public)
api.add_router("", search_router)
api.add_router("", accounts_router)
api.add_router("", orders_public)
api.add_router("", orders_router)
api.add_router("", payments_router)
api.add_router("", payments_webhooks)
api.add_router("", notifications_router)
api.add_router("/supplier", catalogue_supplier)
api.add_router("/supplier", suppliers_supplier)
api.add_router("/supplier", payments_supplier)
api.add_router("/operator", suppliers_operator)
api.add_router("/operator", payments_operator)
