"""Reviews: once per completed order, four scores from 1 to 5, one reply, the supplier's rating."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from huoyuan.catalogue.models import Category, Sku
from huoyuan.catalogue.tests.factories import make_product, sku
from huoyuan.notifications.models import Notification
from huoyuan.orders import services
from huoyuan.orders.errors import Conflict, NotFound, ValidationFailed
from huoyuan.orders.models import Review
from huoyuan.orders.tests.factories import completed_order, shipped_order, sku_of
from huoyuan.suppliers.models import SupplierProfile

if TYPE_CHECKING:
    from conftest import Person
    from huoyuan.accounts.contracts import Actor

pytestmark = pytest.mark.django_db
GOOD = {"quality": 5, "accuracy": 4, "shipping_speed": 5, "communication": 4}


def rating(supplier: Actor) -> tuple[Decimal | None, int]:
    profile = SupplierProfile.objects.get(organization_id=supplier.organization_id)
    return profile.rating_average, profile.rating_count


def reviews() -> list[tuple[Any, ...]]:
    return list(
        Review.objects.order_by("pk").values_list(
            "order_id", "quality", "accuracy", "shipping_speed", "communication", "text", "reply"
        )
    )


@pytest.fixture
def buyer(buyer_x: Person) -> Actor:
    assert buyer_x.actor
    return buyer_x.actor


@pytest.fixture
def seller(supplier_a: Person) -> Actor:
    assert supplier_a.actor
    return supplier_a.actor


@pytest.fixture
def bowl(seller: Actor, category: Category) -> Sku:
    return sku_of(make_product(seller, category, skus=[sku("BOWL", stock=100)]))


def test_the_buyer_reviews_a_completed_order_and_the_rating_follows(
    buyer: Actor, seller: Actor, bowl: Sku
) -> None:
    first = completed_order(buyer, seller, [(bowl, 2)])
    second = completed_order(buyer, seller, [(bowl, 2)])
    assert rating(seller) == (None, 0)
    notices = Notification.objects.count()

    review = services.review_create(
        actor=buyer, order_id=first.pk, scores=GOOD, text="  Sturdy bowls, well packed. "
    )

    assert (review.supplier_id, review.buyer_id, review.author_id) == (
        seller.organization_id,
        buyer.organization_id,
        buyer.user_id,
    )
    assert reviews() == [(first.pk, 5, 4, 5, 4, "Sturdy bowls, well packed.", "")]
    assert review.average == 4.5
    assert rating(seller) == (Decimal("4.50"), 1)
    assert list(
        Notification.objects.order_by("pk")[notices:].values_list(
            "organization_id", "verb", "params__number"
        )
    ) == [(seller.organization_id, "review.created", first.number)]

    services.review_create(
        actor=buyer,
        order_id=second.pk,
        scores={"quality": 3, "accuracy": 3, "shipping_speed": 3, "communication": 4},
    )
    # (4.5 + 3.25) / 2 = 3.875, rounded half up
    assert rating(seller) == (Decimal("3.88"), 2)


def test_an_order_not_yet_complete_cannot_be_reviewed(
    buyer: Actor, seller: Actor, bowl: Sku
) -> None:
    order = shipped_order(buyer, seller, [(bowl, 2)])

    with pytest.raises(Conflict) as caught:
        services.review_create(actor=buyer, order_id=order.pk, scores=GOOD)

    assert str(caught.value.message) == "You can review an order once it is complete."
    assert reviews() == []
    assert rating(seller) == (None, 0)


def test_a_partly_refunded_order_can_be_reviewed(buyer: Actor, seller: Actor, bowl: Sku) -> None:
    order = shipped_order(buyer, seller, [(bowl, 2)])
    services.order_request_refund(actor=buyer, order_id=order.pk, amount_minor=500, reason="Chip")
    services.order_resolve_refund(actor=seller, order_id=order.pk, amount_minor=500)

    services.review_create(actor=buyer, order_id=order.pk, scores=GOOD)

    assert rating(seller) == (Decimal("4.50"), 1)


def test_an_order_is_reviewed_once(buyer: Actor, seller: Actor, bowl: Sku) -> None:
    order = completed_order(buyer, seller, [(bowl, 2)])
    services.review_create(actor=buyer, order_id=order.pk, scores=GOOD, text="Good")
    notices = Notification.objects.count()

    with pytest.raises(Conflict) as caught:
        services.review_create(
            actor=buyer,
            order_id=order.pk,
            scores={"quality": 1, "accuracy": 1, "shipping_speed": 1, "communication": 1},
        )

    assert str(caught.value.message) == "You already reviewed this order."
    assert reviews() == [(order.pk, 5, 4, 5, 4, "Good", "")]
    assert rating(seller) == (Decimal("4.50"), 1)
    assert Notification.objects.count() == notices


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("quality", 0),
        ("accuracy", 6),
        ("shipping_speed", None),
        ("communication", "5"),
        ("quality", 4.5),
    ],
)
def test_scores_run_from_1_to_5(
    buyer: Actor, seller: Actor, bowl: Sku, name: str, value: Any
) -> None:
    order = completed_order(buyer, seller, [(bowl, 2)])

    with pytest.raises(ValidationFailed) as caught:
        services.review_create(actor=buyer, order_id=order.pk, scores={**GOOD, name: value})

    assert (caught.value.field, str(caught.value.message)) == (name, "Rate from 1 to 5 stars.")
    assert reviews() == []
    assert rating(seller) == (None, 0)


def test_a_review_text_has_at_most_2000_characters(buyer: Actor, seller: Actor, bowl: Sku) -> None:
    order = completed_order(buyer, seller, [(bowl, 2)])

    with pytest.raises(ValidationFailed) as caught:
        services.review_create(actor=buyer, order_id=order.pk, scores=GOOD, text="x" * 2001)

    assert (caught.value.field, str(caught.value.message)) == (
        "text",
        "Use at most 2000 characters.",
    )
    assert reviews() == []


@pytest.mark.parametrize("who", ["supplier_a", "supplier_b", "buyer_y", "operator"])
def test_only_the_buyer_of_the_order_reviews_it(
    who: str, cast: dict[str, Person], buyer: Actor, seller: Actor, bowl: Sku
) -> None:
    order = completed_order(buyer, seller, [(bowl, 2)])
    actor = cast[who].actor
    assert actor

    with pytest.raises(NotFound):
        services.review_create(actor=actor, order_id=order.pk, scores=GOOD)

    assert reviews() == []


def test_the_supplier_replies_once(buyer: Actor, seller: Actor, bowl: Sku) -> None:
    order = completed_order(buyer, seller, [(bowl, 2)])
    review = services.review_create(actor=buyer, order_id=order.pk, scores=GOOD)

    replied = services.review_reply(actor=seller, review_id=review.pk, text=" Thank you! ")

    assert (replied.reply, replied.replied_at is not None) == ("Thank you!", True)
    first_reply_at = Review.objects.get(pk=review.pk).replied_at
    with pytest.raises(Conflict) as caught:
        services.review_reply(actor=seller, review_id=review.pk, text="Edited")
    assert str(caught.value.message) == "You already replied to this review."
    assert Review.objects.values_list("reply", "replied_at").get(pk=review.pk) == (
        "Thank you!",
        first_reply_at,
    )


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [("  ", "reply", "Write a reply."), ("x" * 2001, "reply", "Use at most 2000 characters.")],
)
def test_a_bad_reply_is_refused(
    buyer: Actor, seller: Actor, bowl: Sku, text: str, field: str, message: str
) -> None:
    order = completed_order(buyer, seller, [(bowl, 2)])
    review = services.review_create(actor=buyer, order_id=order.pk, scores=GOOD)

    with pytest.raises(ValidationFailed) as caught:
        services.review_reply(actor=seller, review_id=review.pk, text=text)

    assert (caught.value.field, str(caught.value.message)) == (field, message)
    assert Review.objects.values_list("reply", "replied_at").get(pk=review.pk) == ("", None)


@pytest.mark.parametrize("who", ["supplier_b", "buyer_x", "buyer_y"])
def test_only_the_reviewed_supplier_replies(
    who: str, cast: dict[str, Person], buyer: Actor, seller: Actor, bowl: Sku
) -> None:
    order = completed_order(buyer, seller, [(bowl, 2)])
    review = services.review_create(actor=buyer, order_id=order.pk, scores=GOOD)
    actor = cast[who].actor
    assert actor

    with pytest.raises(NotFound):
        services.review_reply(actor=actor, review_id=review.pk, text="Hijacked")

    assert Review.objects.values_list("reply", "replied_at").get(pk=review.pk) == ("", None)
