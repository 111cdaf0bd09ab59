from django.utils.translation import gettext_lazy as _

from huoyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed

__all__ = ["Conflict", "DomainError", "NotFound", "PermissionDenied", "ValidationFailed"]


class SignatureInvalid(DomainError):
    status = 400
    code = "signature_invalid"
    default_message = _("The webhook signature is missing or wrong.")


class AmountMismatch(ValidationFailed):
    code = "amount_mismatch"
