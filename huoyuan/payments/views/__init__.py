"""Payment pages: checkout and paying (``checkout``), the supplier's balance and payouts
(``balance``), the operator's bank-transfer matching, payout marking and ledger (``operator``)."""

from huoyuan.payments.views.balance import balance, payout_account, payout_request
from huoyuan.payments.views.buy_now import buy_now
from huoyuan.payments.views.checkout import (
    bank_transfer,
    checkout,
    describe_changes,
    order_pay,
    payment_retry,
    sandbox_confirm,
)
from huoyuan.payments.views.operator import bank_transfers, ledger_page, payout_paid, payouts

__all__ = [
    "balance",
    "bank_transfer",
    "bank_transfers",
    "buy_now",
    "checkout",
    "describe_changes",
    "ledger_page",
    "order_pay",
    "payment_retry",
    "payout_account",
    "payout_paid",
    "payout_request",
    "payouts",
    "sandbox_confirm",
]
