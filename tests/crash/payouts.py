"""Money going out: suppliers request payouts, the operator marks them paid."""

from __future__ import annotations

from huoyuan.ledger.contracts import AccountKind, AccountRef
from huoyuan.ledger.selectors import account_balance
from huoyuan.payments import services as payments
from huoyuan.payments.models import Payout
from tests.crash.state import CURRENCY
from tests.crash.trader import Trader


class PayoutActions(Trader):
    def payout(self) -> bool | None:
        supplier = self.rng.choice(self.suppliers)
        available = AccountRef(AccountKind.SUPPLIER_AVAILABLE, CURRENCY, supplier.organization_id)
        if account_balance(ref=available) <= 0:
            return False
        payout = self.call(payments.payout_request, actor=supplier, currency=CURRENCY)
        if payout:
            self.write("payout", payout.pk, payout.amount_minor)
        return None

    def payout_paid(self) -> bool | None:
        payout = self.pick(Payout.objects.filter(status="requested"))
        if payout is None:
            return False
        if self.call(
            payments.payout_mark_paid,
            actor=self.operator,
            payout_id=payout.pk,
            reference=f"PO{payout.pk}",
        ):
            self.write("payout_paid", payout.pk)
        return None
