from django.urls import path

from huoyuan.payments import views

app_name = "payments"
urlpatterns = [
    path("pay/sandbox/<str:reference>/", views.sandbox_confirm, name="sandbox_confirm"),
    path("pay/bank-transfer/<str:reference>/", views.bank_transfer, name="bank_transfer"),
]
