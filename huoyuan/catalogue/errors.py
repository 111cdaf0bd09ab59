from django.utils.translation import gettext_lazy as _

from huoyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed

__all__ = ["Conflict", "DomainError", "NotFound", "PermissionDenied", "ValidationFailed"]


class LadderInvalid(ValidationFailed):
    code = "ladder_invalid"


class ImageRejected(ValidationFailed):
    code = "image_rejected"
    default_message = _("This file is not an image we accept (JPEG, PNG or WebP).")


class ImportRejected(ValidationFailed):
    code = "import_rejected"
