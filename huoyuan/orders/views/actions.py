"""What each party may do on the order page (ACTIONS): who, in which states, with which form, and
the one service each action calls. The order page (views.orders) offers them and runs them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huoyuan.accounts.contracts import Actor
from huoyuan.core.errors import NotFound
from huoyuan.core.money import Money, format_minor, parse_amount
from huoyuan.orders import services
from huoyuan.orders.contracts import Party
from huoyuan.orders.forms import (
    CancelForm,
    DeclineRefundForm,
    OrderActionForm,
    PlainActionForm,
    RefundRequestForm,
    ReplyForm,
    ResolveRefundForm,
    ReviewForm,
    ShipForm,
)
from huoyuan.orders.views._common import S


def review_of(order: Any) -> Any:
    return getattr(order, "review", None)


def _unshipped(order: Any) -> bool:
    return not any(line.shipped_quantity for line in order.lines.all())


def _amount(form: OrderActionForm) -> int:
    return parse_amount(form.cleaned_data["amount"], form.order.currency, field="amount")


@dataclass(frozen=True)
class Action:
    """One thing a party may do on the order page: who, in which states, with which form."""

    label: Any
    form: type[OrderActionForm]
    parties: frozenset[str]
    statuses: frozenset[str]
    run: Callable[[Actor, Any], str]  # (actor, the valid form) -> the success message
    shown: Callable[[Any], bool] = lambda order: True
    danger: bool = False


def _cancel(actor: Actor, form: OrderActionForm) -> str:
    services.order_cancel(actor=actor, order_id=form.order.pk, reason=form.cleaned_data["reason"])
    if form.order.status == S.PAID:
        return _("Order cancelled; the payment goes back to the buyer.")
    return _("Order cancelled.")


def _receive(actor: Actor, form: OrderActionForm) -> str:
    services.order_confirm_receipt(actor=actor, order_id=form.order.pk)
    return _("Receipt confirmed; the payment was released to the supplier.")


def _refund(actor: Actor, form: OrderActionForm) -> str:
    services.order_request_refund(
        actor=actor,
        order_id=form.order.pk,
        amount_minor=_amount(form),
        reason=form.cleaned_data["reason"],
    )
    return _("Refund requested; the supplier will answer it.")


def _withdraw(actor: Actor, form: OrderActionForm) -> str:
    services.order_decline_refund(actor=actor, order_id=form.order.pk)
    return _("Refund request withdrawn.")


def _resolve(actor: Actor, form: OrderActionForm) -> str:
    amount = _amount(form)
    services.order_resolve_refund(
        actor=actor, order_id=form.order.pk, amount_minor=amount, reason=form.cleaned_data["reason"]
    )
    return _("Refunded %(amount)s to the buyer.") % {
        "amount": format_minor(amount, form.order.currency)
    }


def _decline(actor: Actor, form: OrderActionForm) -> str:
    services.order_decline_refund(
        actor=actor, order_id=form.order.pk, reason=form.cleaned_data["reason"]
    )
    return _("Refund declined; the buyer was told why.")


def _ship(actor: Actor, form: ShipForm) -> str:
    services.order_ship(
        actor=actor,
        order_id=form.order.pk,
        carrier_code=form.cleaned_data["carrier_code"],
        carrier=form.cleaned_data["carrier"],
        tracking_number=form.cleaned_data["tracking_number"],
        quantities=form.quantities(),
    )
    return _("Shipment recorded; the buyer was told.")


def _review_create(actor: Actor, form: ReviewForm) -> str:
    services.review_create(
        actor=actor, order_id=form.order.pk, scores=form.scores(), text=form.cleaned_data["text"]
    )
    return _("Thank you for your review.")


def _reply(actor: Actor, form: OrderActionForm) -> str:
    review = review_of(form.order)
    if review is None:
        raise NotFound()
    services.review_reply(actor=actor, review_id=review.pk, text=form.cleaned_data["reply"])
    return _("Your reply is published with the review.")


B, SU, OP = Party.BUYER, Party.SUPPLIER, Party.OPERATOR
ACTIONS: dict[str, Action] = {
    "ship": Action(gettext_lazy("Ship"), ShipForm, frozenset({SU}), frozenset({S.PAID}), _ship),
    "receive": Action(
        gettext_lazy("Confirm receipt"),
        PlainActionForm,
        frozenset({B}),
        frozenset({S.SHIPPED}),
        _receive,
    ),
    "refund": Action(
        gettext_lazy("Request a refund"),
        RefundRequestForm,
        frozenset({B}),
        frozenset({S.SHIPPED}),
        _refund,
    ),
    "withdraw": Action(
        gettext_lazy("Withdraw the refund request"),
        PlainActionForm,
        frozenset({B}),
        frozenset({S.REFUND_REQUESTED}),
        _withdraw,
    ),
    "resolve": Action(
        gettext_lazy("Refund"),
        ResolveRefundForm,
        frozenset({SU, OP}),
        frozenset({S.REFUND_REQUESTED}),
        _resolve,
    ),
    "decline": Action(
        gettext_lazy("Decline the refund"),
        DeclineRefundForm,
        frozenset({SU, OP}),
        frozenset({S.REFUND_REQUESTED}),
        _decline,
        danger=True,
    ),
    "cancel": Action(
        gettext_lazy("Cancel the order"),
        CancelForm,
        frozenset({B, SU, OP}),
        frozenset({S.PENDING_PAYMENT, S.PAID}),
        _cancel,
        shown=_unshipped,
        danger=True,
    ),
    "review": Action(
        gettext_lazy("Publish the review"),
        ReviewForm,
        frozenset({B}),
        frozenset({S.COMPLETED, S.PARTLY_REFUNDED}),
        _review_create,
        shown=lambda order: review_of(order) is None,
    ),
    "reply": Action(
        gettext_lazy("Publish the reply"),
        ReplyForm,
        frozenset({SU}),
        frozenset({S.COMPLETED, S.PARTLY_REFUNDED}),
        _reply,
        shown=lambda order: review_of(order) is not None and not review_of(order).replied_at,
    ),
}


def initial_values(name: str, order: Any) -> dict[str, Any]:
    """Amount boxes start at what may be refunded (buyer) or what was asked for (supplier)."""
    amount = {
        "refund": order.escrow_minor,
        "resolve": order.refund_requested_minor or order.escrow_minor,
    }.get(name)
    if amount is None:
        return {}
    return {"amount": str(Money(amount, order.currency).amount)}
