"""Retrying a failed payment: it covers only the orders still waiting, and only once at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from huoyuan.catalogue.models import Category
from huoyuan.catalogue.tests.factories import make_product, sku
from huoyuan.ledger.selectors import ledger_check
from huoyuan.orders import services
from huoyuan.orders.selectors import escrow_held
from huoyuan.orders.tests.factories import capture, fail, orders_of, place, sku_of
from huoyuan.payments import services as payments
from huoyuan.payments.errors import Conflict
from huoyuan.payments.models import Payment

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db


def _failed(
    buyer: Person, supplier_a: Person, supplier_b: Person, category: Category
) -> payments.Submitted:
    assert supplier_a.actor is not None
    assert supplier_b.actor is not None
    assert buyer.actor is not None
    bowl = make_product(supplier_a.actor, category, skus=[sku("BOWL", stock=50)])
    cup = make_product(supplier_b.actor, category, title_en="Cup", skus=[sku("CUP", stock=500)])
    submitted = place(buyer.actor, [(sku_of(bowl), 10), (sku_of(cup), 120)])
    fail(submitted.payment)
    return submitted


def test_a_retry_captures_only_the_orders_it_was_opened_for(
    supplier_a: Person, supplier_b: Person, buyer_x: Person, category: Category
) -> None:
    assert buyer_x.actor is not None
    submitted = _failed(buyer_x, supplier_a, supplier_b, category)
    first, second = orders_of(submitted)
    services.order_cancel(actor=buyer_x.actor, order_id=first.pk)
    retry = payments.payment_retry(actor=buyer_x.actor, reference=submitted.payment.reference)
    assert retry.amount_minor == second.total_minor == 120 * 1100
    covered = {
        p.reference: sorted(p.covers.values_list("order_id", "amount_minor"))
        for p in Payment.objects.filter(checkout_id=first.checkout_id)
    }
    assert covered == {
        submitted.payment.reference: sorted(
            [(first.pk, first.total_minor), (second.pk, second.total_minor)]
        ),
        retry.reference: [(second.pk, second.total_minor)],
    }
    capture(retry)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.paid_minor, first.refunded_minor) == ("cancelled", 0, 0)
    assert (second.status, second.paid_minor) == ("paid", retry.amount_minor)
    assert escrow_held(currency="CNY") == retry.amount_minor
    assert ledger_check() == []


def test_a_second_retry_while_one_is_open_is_refused_and_opens_nothing(
    supplier_a: Person, supplier_b: Person, buyer_x: Person, category: Category
) -> None:
    assert buyer_x.actor is not None
    submitted = _failed(buyer_x, supplier_a, supplier_b, category)
    payments.payment_retry(actor=buyer_x.actor, reference=submitted.payment.reference)
    before = Payment.objects.count()
    with pytest.raises(Conflict):
        payments.payment_retry(actor=buyer_x.actor, reference=submitted.payment.reference)
    assert Payment.objects.count() == before == 2


def test_an_order_cancelled_after_the_retry_opened_is_refunded_when_it_captures(
    supplier_a: Person, supplier_b: Person, buyer_x: Person, category: Category
) -> None:
    """The retry pays what it was opened for; an order cancelled meanwhile gets its share back."""
    assert buyer_x.actor is not None
    submitted = _failed(buyer_x, supplier_a, supplier_b, category)
    first, second = orders_of(submitted)
    retry = payments.payment_retry(actor=buyer_x.actor, reference=submitted.payment.reference)
    assert retry.amount_minor == first.total_minor + second.total_minor
    services.order_cancel(actor=buyer_x.actor, order_id=first.pk)
    capture(retry)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.paid_minor, first.refunded_minor) == (
        "cancelled",
        first.total_minor,
        first.total_minor,
    )
    assert (second.status, second.paid_minor) == ("paid", second.total_minor)
    assert escrow_held(currency="CNY") == second.total_minor
    assert ledger_check() == []
