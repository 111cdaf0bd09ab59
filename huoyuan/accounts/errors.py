from django.utils.translation import gettext_lazy as _

from huoyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed

__all__ = ["Conflict", "DomainError", "NotFound", "PermissionDenied", "ValidationFailed"]


class NoActiveOrganization(PermissionDenied):
    code = "no_organization"
    default_message = _("Join or create an organization first.")


class WrongOrganizationKind(PermissionDenied):
    code = "wrong_organization_kind"
    default_message = _("Switch to an organization of the right kind to do this.")


class InvitationInvalid(ValidationFailed):
    code = "invitation_invalid"
    default_message = _("This invitation link is invalid, expired or already used.")
