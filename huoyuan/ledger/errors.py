from django.utils.translation import gettext_lazy as _

from huoyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed

__all__ = ["Conflict", "DomainError", "NotFound", "PermissionDenied", "ValidationFailed"]


class Unbalanced(DomainError):
    """A programming error, never a user's: refuse to write a transaction that does not sum to 0."""

    status = 500
    code = "ledger_unbalanced"
    default_message = _("A ledger transaction must balance.")


class InsufficientFunds(Conflict):
    code = "insufficient_funds"
    default_message = _("The balance is too low for this.")
