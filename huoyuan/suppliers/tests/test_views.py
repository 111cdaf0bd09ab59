"""Supplier pages: workbench profile and logo, the operator's queue, storefront, supplier list."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from huoyuan.accounts.models import Organization
from huoyuan.catalogue.services import product_set_status
from huoyuan.catalogue.tests.factories import make_product
from huoyuan.suppliers.models import SupplierProfile
from huoyuan.suppliers.services import supplier_profile_update, verification_request
from huoyuan.suppliers.tests.support import EDITABLE

pytestmark = pytest.mark.django_db


def _profile(person):
    return SupplierProfile.objects.get(organization=person.organization)


def _snapshot(person):
    profile = _profile(person)
    return {name: getattr(profile, name) for name in EDITABLE} | {"logo": profile.logo.name}


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def _png(name="logo.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), (10, 120, 200)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _form(**overrides):
    return {
        "business_type": "factory",
        "belt": "",
        "tagline": "",
        "description": "",
        "province": "",
        "city": "",
        "founded_year": "",
        "floor_area_m2": "",
        "staff_count": "",
        "monthly_capacity": "",
        "certifications": "",
        "patents_count": "",
        **overrides,
    }


# --- workbench profile -------------------------------------------------------------------------


def test_workbench_profile_shows_the_current_profile(supplier_a, yiwu):
    supplier_profile_update(
        actor=supplier_a.actor,
        data={"belt_id": yiwu.pk, "tagline": "Bowls", "certifications": ["ISO 9001", "BSCI"]},
    )
    response = supplier_a.client.get(reverse("suppliers:workbench_profile"))
    assert response.status_code == 200
    initial = response.context["form"].initial
    assert (initial["belt"], initial["tagline"], initial["certifications"]) == (
        yiwu.pk,
        "Bowls",
        "ISO 9001\nBSCI",
    )
    assert response.context["profile"] == _profile(supplier_a)


def test_workbench_profile_saves_the_form(supplier_a, yiwu):
    response = supplier_a.client.post(
        reverse("suppliers:workbench_profile"),
        _form(
            business_type="trading",
            belt=yiwu.pk,
            tagline="Bowls since 1998",
            city="义乌",
            founded_year="1998",
            staff_count="250",
            oem="on",
            certifications="ISO 9001\n\n  BSCI  \n",
            patents_count="4",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("suppliers:workbench_profile")
    profile = _profile(supplier_a)
    assert (profile.business_type, profile.belt, profile.tagline, profile.city) == (
        "trading",
        yiwu,
        "Bowls since 1998",
        "义乌",
    )
    assert (profile.founded_year, profile.staff_count, profile.floor_area_m2) == (1998, 250, None)
    assert (profile.oem, profile.odm, profile.certifications, profile.patents_count) == (
        True,
        False,
        ["ISO 9001", "BSCI"],
        4,
    )
    followed = supplier_a.client.get(response["Location"])
    assert _messages(followed) == ["Profile saved."]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"business_type": "shop"},
            "business_type",
            "Select a valid choice. shop is not one of the available choices.",
        ),
        (
            {"founded_year": "1700"},
            "founded_year",
            "Ensure this value is greater than or equal to 1800.",
        ),
        ({"staff_count": "-3"}, "staff_count", "Ensure this value is greater than or equal to 0."),
        (
            {"belt": "999999"},
            "belt",
            "Select a valid choice. That choice is not one of the available choices.",
        ),
        (
            {"tagline": "x" * 141},
            "tagline",
            "Ensure this value has at most 140 characters (it has 141).",
        ),
    ],
)
def test_workbench_profile_refuses_bad_values_next_to_the_field(
    supplier_a, overrides, field, message
):
    before = _snapshot(supplier_a)
    response = supplier_a.client.post(
        reverse("suppliers:workbench_profile"), _form(city="Changed", **overrides)
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert _snapshot(supplier_a) == before


def test_workbench_profile_shows_the_services_refusal_next_to_the_field(supplier_a):
    before = _snapshot(supplier_a)
    year = timezone.now().year + 1
    response = supplier_a.client.post(
        reverse("suppliers:workbench_profile"), _form(city="Changed", founded_year=str(year))
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "founded_year": ["Enter a year the company was founded in."]
    }
    assert _snapshot(supplier_a) == before


@pytest.mark.parametrize("who", ["buyer_x", "operator"])
def test_workbench_profile_is_404_for_non_suppliers(cast, who):
    person = cast[who]
    assert person.client.get(reverse("suppliers:workbench_profile")).status_code == 404
    response = person.client.post(reverse("suppliers:workbench_profile"), _form(tagline="Sneaky"))
    assert response.status_code == 404
    assert not SupplierProfile.objects.filter(organization=person.organization).exists()
    assert not SupplierProfile.objects.filter(tagline="Sneaky").exists()


def test_workbench_profile_needs_login(anonymous):
    response = anonymous.client.get(reverse("suppliers:workbench_profile"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/workbench/profile/"


# --- logo --------------------------------------------------------------------------------------


def test_logo_upload_page_accepts_a_png(supplier_a):
    response = supplier_a.client.post(
        reverse("suppliers:workbench_logo"), {"logo": _png()}, follow=True
    )
    assert response.status_code == 200
    assert _messages(response) == ["Logo updated."]
    logo = _profile(supplier_a).logo
    assert logo.name.startswith("logos/")
    with logo.open("rb") as stored, Image.open(stored) as image:
        assert (image.format, image.size) == ("JPEG", (200, 100))


def test_logo_upload_page_refuses_a_text_file_and_changes_nothing(supplier_a):
    text = SimpleUploadedFile("logo.png", b"hello, I am text", content_type="image/png")
    response = supplier_a.client.post(
        reverse("suppliers:workbench_logo"), {"logo": text}, follow=True
    )
    assert _messages(response) == ["This file is not a readable JPEG, PNG or WebP image."]
    assert _profile(supplier_a).logo.name == ""


def test_logo_upload_page_without_a_file_asks_for_one(supplier_a):
    response = supplier_a.client.post(reverse("suppliers:workbench_logo"), {}, follow=True)
    assert _messages(response) == ["Choose an image file to upload."]
    assert _profile(supplier_a).logo.name == ""


def test_logo_upload_page_is_404_for_buyers(buyer_x):
    response = buyer_x.client.post(reverse("suppliers:workbench_logo"), {"logo": _png()})
    assert response.status_code == 404
    assert not SupplierProfile.objects.filter(organization=buyer_x.organization).exists()


# --- verification ------------------------------------------------------------------------------


def test_requesting_verification_from_the_workbench(supplier_a):
    response = supplier_a.client.post(
        reverse("suppliers:workbench_profile"), {"verification": "1"}, follow=True
    )
    assert _messages(response) == ["Verification requested. The operator will review your company."]
    assert _profile(supplier_a).verification_requested_at is not None
    assert b'name="verification"' not in response.content


def test_requesting_verification_twice_from_the_workbench_is_refused(supplier_a):
    supplier_a.client.post(
        reverse("suppliers:workbench_profile"), {"verification": "1"}, follow=True
    )
    first = _profile(supplier_a).verification_requested_at
    response = supplier_a.client.post(
        reverse("suppliers:workbench_profile"), {"verification": "1"}, follow=True
    )
    assert _messages(response) == [
        "Verification was already requested; the operator will get back to you."
    ]
    assert _profile(supplier_a).verification_requested_at == first


def test_operator_sees_the_verification_queue(supplier_a, supplier_b, operator):
    verification_request(actor=supplier_a.actor)
    response = operator.client.get(reverse("suppliers:verification_queue"))
    assert response.status_code == 200
    assert [p.organization.slug for p in response.context["page"]] == ["supplier-a"]
    assert "supplier_a Co." in response.content.decode()
    assert "supplier_b Co." not in response.content.decode()


@pytest.mark.parametrize("who", ["supplier_a", "supplier_b", "buyer_x"])
def test_verification_queue_page_is_404_for_everyone_but_the_operator(cast, who):
    supplier_a = cast["supplier_a"]
    verification_request(actor=supplier_a.actor)
    before = _snapshot(supplier_a)
    person = cast[who]
    assert person.client.get(reverse("suppliers:verification_queue")).status_code == 404
    response = person.client.post(
        reverse("suppliers:verification_queue"),
        {"organization_id": supplier_a.organization.pk, "level": "3"},
    )
    assert response.status_code == 404
    assert _snapshot(supplier_a) == before


def test_verification_queue_page_needs_login(anonymous):
    response = anonymous.client.get(reverse("suppliers:verification_queue"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/operator/verification/"


def test_operator_sets_a_level_on_the_queue_page(supplier_a, operator):
    verification_request(actor=supplier_a.actor)
    response = operator.client.post(
        reverse("suppliers:verification_queue"),
        {"organization_id": supplier_a.organization.pk, "level": "2"},
        follow=True,
    )
    assert _messages(response) == ["Verification saved."]
    profile = _profile(supplier_a)
    assert (profile.verification_level, profile.verification_requested_at) == (2, None)
    assert profile.verified_at is not None
    assert list(response.context["page"]) == []


def test_queue_page_refuses_an_unknown_level_and_changes_nothing(supplier_a, operator):
    verification_request(actor=supplier_a.actor)
    before = _snapshot(supplier_a)
    response = operator.client.post(
        reverse("suppliers:verification_queue"),
        {"organization_id": supplier_a.organization.pk, "level": "9"},
        follow=True,
    )
    assert _messages(response) == ["Choose a verification level from the list."]
    assert _snapshot(supplier_a) == before


# --- storefront --------------------------------------------------------------------------------


def test_storefront_shows_only_the_suppliers_published_products(supplier_a, supplier_b, category):
    supplier_profile_update(actor=supplier_a.actor, data={"tagline": "Bowls since 1998"})
    published = make_product(supplier_a.actor, category, title_en="Published bowl")
    make_product(supplier_a.actor, category, publish=False, title_en="Draft bowl")
    archived = make_product(supplier_a.actor, category, title_en="Archived bowl")
    product_set_status(actor=supplier_a.actor, product_id=archived.pk, status="archived")
    make_product(supplier_b.actor, category, title_en="Someone else's bowl")

    response = supplier_a.client.get(reverse("suppliers:storefront", args=["supplier-a"]))
    assert response.status_code == 200
    assert response.context["profile"] == _profile(supplier_a)
    assert [p.pk for p in response.context["page"]] == [published.pk]
    html = response.content.decode()
    assert "Published bowl" in html
    assert "Bowls since 1998" in html
    for hidden in ("Draft bowl", "Archived bowl", "Someone else&#x27;s bowl"):
        assert hidden not in html


def test_storefront_is_public(anonymous, supplier_a):
    response = anonymous.client.get(reverse("suppliers:storefront", args=["supplier-a"]))
    assert response.status_code == 200
    assert "No products on sale yet." in response.content.decode()


@pytest.mark.parametrize("slug", ["buyer-x", "no-such-supplier"])
def test_storefront_of_a_non_supplier_is_404(anonymous, buyer_x, slug):
    assert anonymous.client.get(reverse("suppliers:storefront", args=[slug])).status_code == 404


def test_storefront_of_an_inactive_supplier_is_404(anonymous, supplier_a):
    Organization.objects.filter(pk=supplier_a.organization.pk).update(is_active=False)
    assert (
        anonymous.client.get(reverse("suppliers:storefront", args=["supplier-a"])).status_code
        == 404
    )


# --- supplier list -----------------------------------------------------------------------------


@pytest.fixture
def listed(supplier_a, supplier_b, yiwu, dehua):
    supplier_profile_update(actor=supplier_a.actor, data={"belt_id": yiwu.pk})
    supplier_profile_update(actor=supplier_b.actor, data={"belt_id": dehua.pk})
    SupplierProfile.objects.filter(organization=supplier_b.organization).update(
        verification_level=1
    )


def _listed_slugs(client, **params):
    response = client.get(reverse("suppliers:list"), params)
    assert response.status_code == 200
    return [p.organization.slug for p in response.context["page"]]


def test_supplier_list_shows_all_suppliers_verified_first(anonymous, listed, buyer_x):
    response = anonymous.client.get(reverse("suppliers:list"))
    assert [p.organization.slug for p in response.context["page"]] == ["supplier-b", "supplier-a"]
    assert [b.slug for b in response.context["belts"]] == ["yiwu", "dehua"]
    assert "buyer_x Co." not in response.content.decode()


def test_supplier_list_filters_by_belt(anonymous, listed):
    assert _listed_slugs(anonymous.client, belt="yiwu") == ["supplier-a"]
    assert _listed_slugs(anonymous.client, belt="dehua") == ["supplier-b"]
    assert _listed_slugs(anonymous.client, belt="nowhere") == []


def test_supplier_list_filters_verified_only(anonymous, listed):
    assert _listed_slugs(anonymous.client, verified="1") == ["supplier-b"]
    assert _listed_slugs(anonymous.client, belt="yiwu", verified="1") == []
    response = anonymous.client.get(reverse("suppliers:list"), {"belt": "dehua", "verified": "1"})
    assert (response.context["belt"], response.context["verified"]) == ("dehua", True)


def test_supplier_list_shows_published_product_counts(anonymous, supplier_a, supplier_b, category):
    make_product(supplier_a.actor, category, title_en="One")
    make_product(supplier_a.actor, category, title_en="Two")
    make_product(supplier_a.actor, category, publish=False, title_en="Draft")
    response = anonymous.client.get(reverse("suppliers:list"))
    counts = {p.organization.slug: p.product_count for p in response.context["page"]}
    assert counts == {"supplier-a": 2, "supplier-b": 0}
    html = response.content.decode()
    assert "2 products" in html
    assert "0 products" in html
