"""Reviews: after completion the buyer rates the supplier once; the supplier may reply once."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from huoyuan.accounts.contracts import Actor
from huoyuan.core.pagecache import public_version_bump
from huoyuan.notifications.services import Notice, notify_many
from huoyuan.orders.contracts import OrderStatus
from huoyuan.orders.errors import Conflict, NotFound, ValidationFailed
from huoyuan.orders.locks import order_lock
from huoyuan.orders.models import Review
from huoyuan.suppliers.services import supplier_rating_set

SCORES = ("quality", "accuracy", "shipping_speed", "communication")
MAX_TEXT = 2000


def _clean_text(text: str, field: str) -> str:
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise ValidationFailed(_("Use at most %(n)s characters.") % {"n": MAX_TEXT}, field=field)
    return text


def _refresh_rating(supplier_id: int) -> None:
    summary = Review.objects.filter(supplier_id=supplier_id).aggregate(
        average=Avg(
            (F("quality") + F("accuracy") + F("shipping_speed") + F("communication")) / 4.0
        ),
        count=Count("pk"),
    )
    average = summary["average"]
    supplier_rating_set(
        organization_id=supplier_id,
        average=(
            Decimal(str(average)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            if average is not None
            else None
        ),
        count=summary["count"],
    )


def review_create(*, actor: Actor, order_id: int, scores: dict[str, int], text: str = "") -> Review:
    for name in SCORES:
        value = scores.get(name)
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise ValidationFailed(_("Rate from 1 to 5 stars."), field=name)
    text = _clean_text(text, "text")
    with transaction.atomic():
        order = order_lock(order_id=order_id, actor=actor)
        if order.buyer_id != actor.organization_id:
            raise NotFound()
        if order.status not in (OrderStatus.COMPLETED, OrderStatus.PARTLY_REFUNDED):
            raise Conflict(_("You can review an order once it is complete."))
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    order=order,
                    supplier_id=order.supplier_id,
                    buyer_id=order.buyer_id,
                    author_id=actor.user_id,
                    text=text,
                    **{name: scores[name] for name in SCORES},
                )
        except IntegrityError:
            raise Conflict(_("You already reviewed this order.")) from None
        _refresh_rating(order.supplier_id)
        notify_many(
            [
                Notice(
                    organization_id=order.supplier_id,
                    verb="review.created",
                    message=gettext_noop("The buyer of order %(number)s left a review."),
                    params={"number": order.number},
                    link=f"/orders/{order.pk}/",
                )
            ]
        )
    return review


def review_reply(*, actor: Actor, review_id: int, text: str) -> Review:
    text = _clean_text(text, "reply")
    if not text:
        raise ValidationFailed(_("Write a reply."), field="reply")
    with transaction.atomic():
        review = (
            Review.objects.select_for_update()
            .filter(pk=review_id, supplier_id=actor.organization_id)
            .first()
        )
        if review is None:
            raise NotFound()
        if review.replied_at is not None:
            raise Conflict(_("You already replied to this review."))
        review.reply = text
        review.replied_at = timezone.now()
        review.save(update_fields=["reply", "replied_at"])
        transaction.on_commit(public_version_bump)  # storefronts show the reply
    return review
