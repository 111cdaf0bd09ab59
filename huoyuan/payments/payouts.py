"""Supplier payouts: the payout account, the request of the available balance, the operator's
"paid". Each entry point owns its transaction (CONVENTIONS: outermost service)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from huoyuan.accounts.contracts import MANAGER_ROLES, Actor
from huoyuan.core.services import audit_record
from huoyuan.ledger.contracts import AccountKind, AccountRef, Posting, TransactionKind
from huoyuan.ledger.selectors import account_balance
from huoyuan.ledger.services import transaction_post
from huoyuan.notifications.services import Notice, notify_many
from huoyuan.payments.contracts import PayoutStatus
from huoyuan.payments.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from huoyuan.payments.models import Payout, PayoutAccount


def _require_supplier_manager(actor: Actor) -> None:
    if not actor.is_supplier:
        raise PermissionDenied(_("Switch to your supplier organization to do this."))
    if actor.role not in MANAGER_ROLES:
        raise PermissionDenied(_("Only the owner or an admin may manage payouts."))


def payout_account_set(
    *, actor: Actor, holder_name: str, bank_name: str, account_number: str
) -> PayoutAccount:
    _require_supplier_manager(actor)
    values = {
        "holder_name": (holder_name or "").strip(),
        "bank_name": (bank_name or "").strip(),
        "account_number": "".join((account_number or "").split()),
    }
    for name, limit in (("holder_name", 120), ("bank_name", 120), ("account_number", 40)):
        if not values[name] or len(values[name]) > limit:
            raise ValidationFailed(
                _("Fill this in (at most %(n)s characters).") % {"n": limit}, field=name
            )
    if not values["account_number"].isalnum():
        raise ValidationFailed(
            _("An account number has letters and digits only."), field="account_number"
        )
    with transaction.atomic():
        account = (
            PayoutAccount.objects.select_for_update()
            .filter(supplier_id=actor.organization_id)
            .first()
        )
        before = (
            {
                "holder_name": account.holder_name,
                "bank_name": account.bank_name,
                "account_number": account.masked_number,
            }
            if account
            else None
        )
        account = account or PayoutAccount(supplier_id=actor.organization_id)
        for name, value in values.items():
            setattr(account, name, value)
        account.save()
        audit_record(
            action="payout_account.set",
            object_type="payout_account",
            object_id=account.pk,
            actor_id=actor.user_id,
            organization_id=actor.organization_id,
            before=before,
            after={
                "holder_name": account.holder_name,
                "bank_name": account.bank_name,
                "account_number": account.masked_number,
            },
        )
    return account


def payout_request(*, actor: Actor, currency: str = "CNY") -> Payout:
    """Ask to be paid the whole available balance in ``currency``."""
    _require_supplier_manager(actor)
    with transaction.atomic():
        if not PayoutAccount.objects.filter(supplier_id=actor.organization_id).exists():
            raise ValidationFailed(_("Add the bank account for payouts first."))
        available = AccountRef(AccountKind.SUPPLIER_AVAILABLE, currency, actor.organization_id)
        pending = AccountRef(AccountKind.SUPPLIER_PAYOUT_PENDING, currency, actor.organization_id)
        # Posting locks the balance row; re-read the amount under that lock via the posting.
        amount = account_balance(ref=available)
        if amount <= 0:
            raise Conflict(_("There is no available balance to pay out."))
        payout = Payout.objects.create(
            supplier_id=actor.organization_id,
            amount_minor=amount,
            currency=currency,
            requested_by_id=actor.user_id,
        )
        transaction_post(
            kind=TransactionKind.PAYOUT_REQUEST,
            reference=f"payout:{payout.pk}:request",
            memo=f"payout {payout.pk} requested",
            created_by_id=actor.user_id,
            postings=[Posting(available, -amount), Posting(pending, amount)],
        )
        audit_record(
            action="payout.request",
            object_type="payout",
            object_id=payout.pk,
            actor_id=actor.user_id,
            organization_id=actor.organization_id,
            after={"amount_minor": amount, "currency": currency},
        )
    return payout


def payout_mark_paid(*, actor: Actor, payout_id: int, reference: str) -> Payout:
    if not actor.is_operator:
        raise PermissionDenied()
    reference = (reference or "").strip()
    if not reference or len(reference) > 80:
        raise ValidationFailed(_("Enter the bank reference of the payout."), field="reference")
    with transaction.atomic():
        payout = Payout.objects.select_for_update().filter(pk=payout_id).first()
        if payout is None:
            raise NotFound()
        if payout.status != PayoutStatus.REQUESTED:
            raise Conflict(_("This payout is already marked paid."))
        pending = AccountRef(
            AccountKind.SUPPLIER_PAYOUT_PENDING, payout.currency, payout.supplier_id
        )
        sent = AccountRef(AccountKind.PAYOUTS_SENT, payout.currency)
        transaction_post(
            kind=TransactionKind.PAYOUT_PAID,
            reference=f"payout:{payout.pk}:paid",
            memo=f"payout {payout.pk} paid ({reference})",
            created_by_id=actor.user_id,
            postings=[Posting(pending, -payout.amount_minor), Posting(sent, payout.amount_minor)],
        )
        payout.status = PayoutStatus.PAID
        payout.paid_reference = reference
        payout.paid_by_id = actor.user_id
        payout.paid_at = timezone.now()
        payout.save(update_fields=["status", "paid_reference", "paid_by", "paid_at"])
        audit_record(
            action="payout.paid",
            object_type="payout",
            object_id=payout.pk,
            actor_id=actor.user_id,
            organization_id=payout.supplier_id,
            after={"amount_minor": payout.amount_minor, "reference": reference},
        )
        notify_many(
            [
                Notice(
                    organization_id=payout.supplier_id,
                    verb="payout.paid",
                    message=gettext_noop("Your payout %(id)s was paid (reference %(reference)s)."),
                    params={"id": payout.pk, "reference": reference},
                )
            ]
        )
    return payout
