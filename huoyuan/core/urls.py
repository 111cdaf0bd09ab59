from django.urls import path

from huoyuan.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("currency/", views.set_currency, name="set_currency"),
    path("language/", views.set_language, name="set_language"),
    path("healthz", views.health, name="health"),
    path("favicon.ico", views.favicon, name="favicon"),
]
