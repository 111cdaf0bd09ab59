"""The trade loop end to end through services: cart → orders per supplier → pay → ship → receive."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from huoyuan.catalogue.models import Category, Sku
from huoyuan.catalogue.tests.factories import make_product, sku
from huoyuan.ledger.contracts import AccountKind, AccountRef
from huoyuan.ledger.selectors import account_balance, ledger_check
from huoyuan.orders import services
from huoyuan.orders.contracts import OrderStatus
from huoyuan.orders.selectors import escrow_held
from huoyuan.orders.tests.factories import capture, orders_of, place, sku_of

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db


def test_two_suppliers_one_checkout_paid_shipped_received(
    supplier_a: Person, supplier_b: Person, buyer_x: Person, category: Category
) -> None:
    assert supplier_a.actor
    assert supplier_b.actor
    assert buyer_x.actor
    bowl = make_product(supplier_a.actor, category, skus=[sku("BOWL", stock=50)])
    cup = make_product(supplier_b.actor, category, title_en="Cup", skus=[sku("CUP", stock=500)])
    submitted = place(buyer_x.actor, [(sku_of(bowl), 10), (sku_of(cup), 120)])

    first, second = orders_of(submitted)
    assert [first.supplier_id, second.supplier_id] == [
        supplier_a.organization.pk,  # type: ignore[union-attr]
        supplier_b.organization.pk,  # type: ignore[union-attr]
    ]
    assert (first.total_minor, second.total_minor) == (10 * 1250, 120 * 1100)
    assert submitted.payment.amount_minor == 10 * 1250 + 120 * 1100
    bowl_sku = Sku.objects.get(code="BOWL")
    assert (bowl_sku.stock, bowl_sku.reserved, bowl_sku.sold) == (40, 10, 0)

    capture(submitted.payment)
    first.refresh_from_db()
    assert first.status == OrderStatus.PAID
    assert escrow_held(currency="CNY") == submitted.payment.amount_minor
    assert (
        account_balance(ref=AccountRef(AccountKind.ESCROW, "CNY")) == submitted.payment.amount_minor
    )

    services.order_ship(
        actor=supplier_a.actor, order_id=first.pk, carrier="SF Express", tracking_number="SF1"
    )
    bowl_sku.refresh_from_db()
    assert (bowl_sku.stock, bowl_sku.reserved, bowl_sku.sold) == (40, 0, 10)
    services.order_confirm_receipt(actor=buyer_x.actor, order_id=first.pk)
    first.refresh_from_db()
    assert first.status == OrderStatus.COMPLETED
    commission = (12500 * 300 + 5000) // 10000
    supplier_balance = account_balance(
        ref=AccountRef(AccountKind.SUPPLIER_AVAILABLE, "CNY", supplier_a.organization.pk)  # type: ignore[union-attr]
    )
    assert supplier_balance == 12500 - commission
    assert escrow_held(currency="CNY") == 120 * 1100
    assert ledger_check() == []
