from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.static import serve

from config.api import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("huoyuan.core.urls")),
    path("", include("huoyuan.catalogue.urls")),
    path("", include("huoyuan.suppliers.urls")),
    path("", include("huoyuan.search.urls")),
    path("", include("huoyuan.orders.urls")),
    path("", include("huoyuan.payments.urls")),
    path("", include("huoyuan.notifications.urls")),
    path("accounts/", include("huoyuan.accounts.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
if not settings.PRODUCTION:
    # Media from the data folder in the demo; production serves it from object storage.
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
