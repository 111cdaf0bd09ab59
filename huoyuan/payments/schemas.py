"""JSON shapes of checkout, payments, balances, the ledger and payouts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from huoyuan.core.schemas import StrictIn
from huoyuan.orders.schemas import CartOut, OrderCardOut, OrganizationOut

# --- checkout and payments -------------------------------------------------------------------


class CheckoutIn(StrictIn):
    address_id: int
    payment_method: str = Field(description='"sandbox" (online) or "bank_transfer"')
    quote_token: str = Field(max_length=64, description="the token of the cart you reviewed")
    notes: dict[int, str] = Field(
        default_factory=dict, description="a note per supplier: supplier id -> text"
    )


class BuyNowIn(StrictIn):
    sku_id: int
    quantity: int
    kind: str = Field(default="wholesale", description='"wholesale" or "sample"')
    address_id: int
    payment_method: str = Field(description='"sandbox" (online) or "bank_transfer"')
    quote_token: str = Field(max_length=64, description="the token of the buy-now quote you saw")
    note: str = Field(default="", max_length=500, description="a note to the supplier")


class PaymentSummaryOut(Schema):
    reference: str
    provider: str
    status: str
    amount_minor: int
    currency: str
    next_url: str = Field(description="where the buyer goes to pay")


class CheckoutOut(Schema):
    payment: PaymentSummaryOut
    orders: list[OrderCardOut]


class CartChangedOut(Schema):
    """409: prices or stock moved since the quote; ``quote`` is the cart as it is now."""

    code: str
    message: str
    field: str | None
    quote: CartOut


class PaymentOrderOut(Schema):
    id: int
    number: str
    status: str
    total_minor: int


class BankAccountOut(Schema):
    """Where a bank transfer goes; quote the payment reference with it."""

    account_name: str
    bank_name: str
    account_number: str


class PaymentOut(PaymentSummaryOut):
    created_at: datetime
    captured_at: datetime | None
    orders: list[PaymentOrderOut]
    bank_account: BankAccountOut | None


class BankTransferOut(Schema):
    reference: str
    buyer: OrganizationOut
    amount_minor: int
    currency: str
    created_at: datetime


class BankTransferMatchIn(StrictIn):
    reference: str
    amount: str = Field(description='the amount that arrived, e.g. "1250.00"')
    bank_reference: str


class WebhookOut(Schema):
    result: str


# --- supplier money --------------------------------------------------------------------------


class BalanceOut(Schema):
    currency: str
    available_minor: int = Field(description="may be paid out now")
    payout_pending_minor: int = Field(description="payouts requested, not yet paid")


class LedgerEntryOut(Schema):
    id: int
    created_at: datetime
    kind: str = Field(description="what moved the money: payment_capture, release, refund, ...")
    memo: str
    account: str = Field(description="which of your balances moved")
    amount_minor: int
    currency: str
    balance_after_minor: int
    order_id: int | None

    @staticmethod
    def resolve_created_at(obj: Any) -> datetime:
        return obj.transaction.created_at

    @staticmethod
    def resolve_kind(obj: Any) -> str:
        return obj.transaction.kind

    @staticmethod
    def resolve_memo(obj: Any) -> str:
        return obj.transaction.memo

    @staticmethod
    def resolve_account(obj: Any) -> str:
        return obj.account.kind


class EntryOut(Schema):
    account_id: int
    account: str
    organization_id: int | None
    key: str
    amount_minor: int
    currency: str
    balance_after_minor: int
    order_id: int | None

    @staticmethod
    def resolve_account(obj: Any) -> str:
        return obj.account.kind

    @staticmethod
    def resolve_organization_id(obj: Any) -> int | None:
        return obj.account.organization_id

    @staticmethod
    def resolve_key(obj: Any) -> str:
        return obj.account.key


class TransactionOut(Schema):
    id: int
    kind: str
    reference: str
    memo: str
    created_at: datetime
    entries: list[EntryOut]

    @staticmethod
    def resolve_entries(obj: Any) -> list[Any]:
        return sorted(obj.entries.all(), key=lambda e: e.pk)


class PayoutAccountIn(StrictIn):
    holder_name: str
    bank_name: str
    account_number: str


class PayoutAccountOut(Schema):
    holder_name: str
    bank_name: str
    account_number: str = Field(description="masked: only the last four digits are shown")
    updated_at: datetime

    @staticmethod
    def resolve_account_number(obj: Any) -> str:
        return obj.masked_number


class PayoutRequestIn(StrictIn):
    currency: str = "CNY"


class PayoutOut(Schema):
    id: int
    amount_minor: int
    currency: str
    status: str
    requested_at: datetime
    paid_reference: str
    paid_at: datetime | None


class OperatorPayoutOut(PayoutOut):
    supplier: OrganizationOut


class PayoutPaidIn(StrictIn):
    reference: str = Field(description="the bank's reference of the transfer you sent")
