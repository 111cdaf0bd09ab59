from django.utils.translation import gettext_lazy as _

from huoyuan.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed

__all__ = ["Conflict", "DomainError", "NotFound", "PermissionDenied", "ValidationFailed"]


class IllegalTransition(Conflict):
    code = "illegal_transition"


class CartInvalid(ValidationFailed):
    code = "cart_invalid"
    default_message = _("Some lines of the cart cannot be ordered as they are; see each line.")


class CartEmpty(ValidationFailed):
    code = "cart_empty"
    default_message = _("The cart is empty.")


class PricesChanged(Conflict):
    code = "cart_changed"
    default_message = _(
        "Prices or stock changed since you reviewed the cart. Check the new totals and "
        "place the order again."
    )


class ReservationLimit(Conflict):
    code = "reservation_limit"


class BuyersOnly(PermissionDenied):
    code = "wrong_organization_kind"
    default_message = _("Switch to a buyer organization to buy.")


class SuppliersOnly(PermissionDenied):
    code = "wrong_organization_kind"
    default_message = _("Switch to a supplier organization to do this.")
