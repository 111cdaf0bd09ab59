from django.urls import path

from huoyuan.payments import views

app_name = "payments"
urlpatterns = [
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/buy-now/", views.buy_now, name="buy_now"),
    path("pay/sandbox/<str:reference>/", views.sandbox_confirm, name="sandbox_confirm"),
    path("pay/bank-transfer/<str:reference>/", views.bank_transfer, name="bank_transfer"),
    path("pay/orders/<int:order_id>/", views.order_pay, name="order_pay"),
    path("pay/retry/<str:reference>/", views.payment_retry, name="retry"),
    path("workbench/balance/", views.balance, name="balance"),
    path("workbench/balance/account/", views.payout_account, name="payout_account"),
    path("workbench/balance/payout/", views.payout_request, name="payout_request"),
    path("operator/bank-transfers/", views.bank_transfers, name="bank_transfers"),
    path("operator/payouts/", views.payouts, name="payouts"),
    path("operator/payouts/<int:payout_id>/paid/", views.payout_paid, name="payout_paid"),
    path("operator/ledger/", views.ledger_page, name="ledger"),
]
