"""The operator's Django admin keeps the same rules as the services."""

from __future__ import annotations

import pytest
from django.test import Client

from huoyuan.accounts.models import User
from huoyuan.catalogue.tests.factories import make_product
from huoyuan.suppliers.models import SupplierProfile
from huoyuan.suppliers.services import verification_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    user = User.objects.create_superuser(email="root@cast.test", password="x-long-password-1")
    client = Client()
    client.force_login(user)
    return client


def test_verification_set_in_the_admin_stamps_and_clears_the_request(admin_client, supplier_a):
    verification_request(actor=supplier_a.actor)
    profile = SupplierProfile.objects.get(organization=supplier_a.organization)
    response = admin_client.post(
        f"/admin/suppliers/supplierprofile/{profile.pk}/change/",
        {
            "organization": profile.organization_id,
            "business_type": "factory",
            "verification_level": 2,
            "patents_count": 0,
            "certifications": "[]",
            "rating_count": 0,
            "photos-TOTAL_FORMS": 0,
            "photos-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    profile.refresh_from_db()
    assert profile.verification_level == 2
    assert profile.verification_requested_at is None
    assert profile.verified_at is not None


def test_products_are_read_only_in_the_admin(admin_client, supplier_a, category):
    product = make_product(supplier_a.actor, category)
    page = admin_client.get(f"/admin/catalogue/product/{product.pk}/change/")
    assert page.status_code == 200
    assert b'name="title_en"' not in page.content  # shown, not editable
    response = admin_client.post(
        f"/admin/catalogue/product/{product.pk}/change/", {"title_en": "Changed in admin"}
    )
    assert response.status_code == 403
    product.refresh_from_db()
    assert product.title_en == "Wine-red ceramic bowl"
    assert admin_client.get("/admin/catalogue/product/add/").status_code == 403


def test_the_operator_sets_the_trade_settings_in_the_admin(admin_client):
    from huoyuan.orders.models import TradeSettings
    from huoyuan.orders.services import trade_settings

    row = trade_settings()
    response = admin_client.post(
        f"/admin/orders/tradesettings/{row.pk}/change/",
        {
            "commission_rate_bp": 250,
            "auto_confirm_days": 7,
            "unpaid_expiry_minutes": 45,
            "bank_transfer_expiry_hours": 48,
            "max_unpaid_orders_per_buyer": 10,
            "max_unpaid_share_percent": 40,
            "bank_account_name": "Huoyuan Ltd.",
            "bank_name": "Demo Bank",
            "bank_account_number": "6222 1111",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    row = TradeSettings.objects.get()
    assert (row.commission_rate_bp, row.auto_confirm_days, row.max_unpaid_share_percent) == (
        250,
        7,
        40,
    )
    assert admin_client.get("/admin/orders/tradesettings/add/").status_code == 403


def test_orders_are_read_only_in_the_admin(admin_client):
    assert admin_client.get("/admin/orders/order/").status_code == 200
    assert admin_client.get("/admin/orders/order/add/").status_code == 403
