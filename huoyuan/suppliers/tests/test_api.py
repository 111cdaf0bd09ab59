"""Supplier JSON API: own profile, logo, verification, operator queue, suppliers and belts."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from huoyuan.accounts.models import Organization
from huoyuan.catalogue.tests.factories import make_product
from huoyuan.suppliers.models import SupplierProfile
from huoyuan.suppliers.services import supplier_profile_update, verification_request
from huoyuan.suppliers.tests.support import EDITABLE

pytestmark = pytest.mark.django_db

PROFILE = "/api/supplier/profile"
NOT_FOUND = {"code": "not_found", "message": "Not found.", "field": None}
WRONG_KIND = {
    "code": "wrong_organization_kind",
    "message": "Switch to an organization of the right kind to do this.",
    "field": None,
}


def _profile(person):
    return SupplierProfile.objects.get(organization=person.organization)


def _snapshot(person):
    profile = _profile(person)
    return {name: getattr(profile, name) for name in EDITABLE} | {"logo": profile.logo.name}


def _supplier_out(slug, name, **overrides):
    return {
        "slug": slug,
        "name": name,
        "business_type": "factory",
        "belt": None,
        "province": "",
        "city": "",
        "tagline": "",
        "description": "",
        "founded_year": None,
        "floor_area_m2": None,
        "staff_count": None,
        "monthly_capacity": "",
        "oem": False,
        "odm": False,
        "certifications": [],
        "patents_count": 0,
        "mixed_batch_moq": None,
        "verification_level": 0,
        "rating_average": None,
        "rating_count": 0,
        "logo_url": None,
        **overrides,
    }


# --- own profile -------------------------------------------------------------------------------


def test_supplier_reads_its_profile(supplier_a):
    response = supplier_a.api("GET", PROFILE)
    assert response.status_code == 200
    assert response.json() == _supplier_out("supplier-a", "supplier_a Co.")


def test_supplier_updates_its_profile(supplier_a, yiwu):
    response = supplier_a.api(
        "PUT",
        PROFILE,
        {
            "business_type": "trading",
            "belt": "yiwu",
            "tagline": "Bowls since 1998",
            "city": "义乌",
            "founded_year": 1998,
            "staff_count": 250,
            "odm": True,
            "certifications": ["ISO 9001", " ", "BSCI"],
            "patents_count": 4,
        },
    )
    assert response.status_code == 200
    assert response.json() == _supplier_out(
        "supplier-a",
        "supplier_a Co.",
        business_type="trading",
        belt="yiwu",
        tagline="Bowls since 1998",
        city="义乌",
        founded_year=1998,
        staff_count=250,
        odm=True,
        certifications=["ISO 9001", "BSCI"],
        patents_count=4,
    )
    profile = _profile(supplier_a)
    assert (profile.belt, profile.business_type, profile.founded_year) == (yiwu, "trading", 1998)


def test_profile_update_changes_only_the_fields_sent(supplier_a, yiwu):
    supplier_a.api("PUT", PROFILE, {"belt": "yiwu", "tagline": "First", "city": "义乌"})
    response = supplier_a.api("PUT", PROFILE, {"tagline": "Second"})
    assert (response.json()["tagline"], response.json()["city"], response.json()["belt"]) == (
        "Second",
        "义乌",
        "yiwu",
    )


def test_empty_belt_clears_the_belt(supplier_a, yiwu):
    supplier_a.api("PUT", PROFILE, {"belt": "yiwu"})
    response = supplier_a.api("PUT", PROFILE, {"belt": ""})
    assert response.status_code == 200
    assert response.json()["belt"] is None
    assert _profile(supplier_a).belt is None


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"business_type": "shop"}, "business_type", "Choose factory or trading company."),
        ({"belt": "nowhere"}, "belt", "Choose an industrial belt from the list."),
        ({"founded_year": 1500}, "founded_year", "Enter a year the company was founded in."),
        ({"founded_year": 3000}, "founded_year", "Enter a year the company was founded in."),
        ({"floor_area_m2": 100_000_001}, "floor_area_m2", "Enter a whole number of zero or more."),
        ({"certifications": ["c"] * 31}, "certifications", "List at most 30 certifications."),
    ],
)
def test_profile_update_refuses_bad_values_with_code_message_and_field(
    supplier_a, yiwu, body, field, message
):
    before = _snapshot(supplier_a)
    response = supplier_a.api("PUT", PROFILE, {"tagline": "Changed", **body})
    assert response.status_code == 422
    assert response.json() == {"code": "invalid", "message": message, "field": field}
    assert _snapshot(supplier_a) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"staff_count": -1}, "staff_count"),
        ({"tagline": "x" * 141}, "tagline"),
        ({"founded_year": "long ago"}, "founded_year"),
        ({"oem": "maybe"}, "oem"),
    ],
)
def test_profile_update_refuses_malformed_values(supplier_a, body, field):
    before = _snapshot(supplier_a)
    response = supplier_a.api("PUT", PROFILE, {"tagline": "Changed", **body})
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("invalid", field)
    assert _snapshot(supplier_a) == before


@pytest.mark.parametrize(
    "body",
    [
        {"verification_level": 3},
        {"verified_at": "2020-01-01T00:00:00Z"},
        {"rating_average": 5},
        {"belt_id": 1},
        {"logo": "logos/evil.png"},
    ],
)
def test_profile_update_refuses_unknown_fields_and_changes_nothing(supplier_a, yiwu, body):
    before = _snapshot(supplier_a)
    response = supplier_a.api("PUT", PROFILE, {"tagline": "Changed", **body})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert response.json()["field"] == next(iter(body))
    assert response.json()["message"] == "Extra inputs are not permitted"
    assert _snapshot(supplier_a) == before
    assert _profile(supplier_a).rating_average is None


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_buyer_calling_the_supplier_profile_api_is_refused_and_nothing_changes(
    buyer_x, supplier_a, method
):
    before = _snapshot(supplier_a)
    count = SupplierProfile.objects.count()
    response = buyer_x.api(
        method, PROFILE, {"tagline": "Buyer was here"} if method == "PUT" else None
    )
    assert response.status_code == 403
    assert response.json() == {
        "code": "wrong_organization_kind",
        "message": "Switch to an organization of the right kind to do this.",
        "field": None,
    }
    assert SupplierProfile.objects.count() == count
    assert not SupplierProfile.objects.filter(organization=buyer_x.organization).exists()
    assert _snapshot(supplier_a) == before


def test_anonymous_calling_the_supplier_profile_api_is_401(anonymous, supplier_a):
    before = _snapshot(supplier_a)
    response = anonymous.api("PUT", PROFILE, {"tagline": "Anon"})
    assert response.status_code == 401
    assert _snapshot(supplier_a) == before


def test_profile_update_only_touches_the_callers_profile(supplier_a, supplier_b):
    before = _snapshot(supplier_b)
    supplier_a.api("PUT", PROFILE, {"tagline": "Mine"})
    assert _snapshot(supplier_b) == before


# --- logo --------------------------------------------------------------------------------------


def _png():
    buffer = io.BytesIO()
    Image.new("RGB", (640, 320), (10, 120, 200)).save(buffer, "PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")


def test_logo_upload_accepts_a_png(supplier_a):
    response = supplier_a.api("POST", f"{PROFILE}/logo", {"logo": _png()})
    assert response.status_code == 200
    logo = _profile(supplier_a).logo
    assert response.json()["logo_url"] == f"/media/{logo.name}"
    assert logo.name.startswith("logos/")
    with logo.open("rb") as stored, Image.open(stored) as image:
        assert (image.format, image.size) == ("JPEG", (480, 240))


def test_logo_upload_refuses_a_text_file_and_changes_nothing(supplier_a):
    text = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = supplier_a.api("POST", f"{PROFILE}/logo", {"logo": text})
    assert response.status_code == 422
    assert response.json() == {
        "code": "image_rejected",
        "message": "This file is not a readable JPEG, PNG or WebP image.",
        "field": "logo",
    }
    assert _profile(supplier_a).logo.name == ""


def test_logo_upload_is_refused_for_a_buyer(buyer_x):
    response = buyer_x.api("POST", f"{PROFILE}/logo", {"logo": _png()})
    assert response.status_code == 403
    assert not SupplierProfile.objects.filter(organization=buyer_x.organization).exists()


# --- verification ------------------------------------------------------------------------------


def test_verification_request_twice_is_a_conflict(supplier_a):
    first = supplier_a.api("POST", f"{PROFILE}/verification-request")
    assert first.status_code == 200
    requested_at = _profile(supplier_a).verification_requested_at
    assert requested_at is not None
    second = supplier_a.api("POST", f"{PROFILE}/verification-request")
    assert second.status_code == 409
    assert second.json() == {
        "code": "conflict",
        "message": "Verification was already requested; the operator will get back to you.",
        "field": None,
    }
    assert _profile(supplier_a).verification_requested_at == requested_at


def test_operator_lists_the_verification_queue(supplier_a, supplier_b, operator):
    verification_request(actor=supplier_a.actor)
    response = operator.api("GET", "/api/operator/verification-queue")
    assert response.status_code == 200
    requested_at = _profile(supplier_a).verification_requested_at
    body = response.json()
    assert body["count"] == 1
    [item] = body["items"]
    assert {k: v for k, v in item.items() if k != "verification_requested_at"} == {
        "organization_id": supplier_a.organization.pk,
        "slug": "supplier-a",
        "name": "supplier_a Co.",
        "verification_level": 0,
    }
    assert item["verification_requested_at"].startswith(requested_at.strftime("%Y-%m-%dT%H:%M:%S"))


@pytest.mark.parametrize("who", ["supplier_a", "buyer_x"])
def test_verification_queue_api_is_refused_to_non_operators(cast, who):
    verification_request(actor=cast["supplier_a"].actor)
    response = cast[who].api("GET", "/api/operator/verification-queue")
    assert (response.status_code, response.json()) == (403, WRONG_KIND)


def test_operator_sets_verification_through_the_api(supplier_a, operator):
    verification_request(actor=supplier_a.actor)
    response = operator.api(
        "POST", f"/api/operator/suppliers/{supplier_a.organization.pk}/verification", {"level": 3}
    )
    assert response.status_code == 200
    assert response.json() == {
        "organization_id": supplier_a.organization.pk,
        "slug": "supplier-a",
        "name": "supplier_a Co.",
        "verification_level": 3,
        "verification_requested_at": None,
    }
    profile = _profile(supplier_a)
    assert (profile.verification_level, profile.verification_requested_at) == (3, None)
    assert profile.verified_at is not None
    assert supplier_a.api("GET", PROFILE).json()["verification_level"] == 3


@pytest.mark.parametrize("who", ["supplier_a", "supplier_b", "buyer_x"])
def test_non_operator_setting_verification_changes_nothing(cast, who):
    supplier_a = cast["supplier_a"]
    verification_request(actor=supplier_a.actor)
    before = _snapshot(supplier_a)
    response = cast[who].api(
        "POST", f"/api/operator/suppliers/{supplier_a.organization.pk}/verification", {"level": 3}
    )
    assert (response.status_code, response.json()) == (403, WRONG_KIND)
    assert _snapshot(supplier_a) == before


def test_operator_api_refuses_an_unknown_level(supplier_a, operator):
    verification_request(actor=supplier_a.actor)
    before = _snapshot(supplier_a)
    response = operator.api(
        "POST", f"/api/operator/suppliers/{supplier_a.organization.pk}/verification", {"level": 9}
    )
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": "Choose a verification level from the list.",
        "field": "level",
    }
    assert _snapshot(supplier_a) == before


# --- public suppliers and belts ----------------------------------------------------------------


@pytest.fixture
def listed(supplier_a, supplier_b, buyer_x, yiwu, dehua):
    supplier_profile_update(actor=supplier_a.actor, data={"belt_id": yiwu.pk})
    supplier_profile_update(actor=supplier_b.actor, data={"belt_id": dehua.pk})
    SupplierProfile.objects.filter(organization=supplier_b.organization).update(
        verification_level=1
    )


def _slugs(response):
    assert response.status_code == 200
    return [item["slug"] for item in response.json()["items"]]


def test_supplier_list_api_lists_suppliers_verified_first(anonymous, listed):
    response = anonymous.api("GET", "/api/suppliers")
    assert _slugs(response) == ["supplier-b", "supplier-a"]
    assert response.json()["count"] == 2
    assert response.json()["items"][1] == _supplier_out("supplier-a", "supplier_a Co.", belt="yiwu")


def test_supplier_list_api_filters_by_belt_and_verification(anonymous, listed):
    assert _slugs(anonymous.api("GET", "/api/suppliers", {"belt": "yiwu"})) == ["supplier-a"]
    assert _slugs(anonymous.api("GET", "/api/suppliers", {"belt": "dehua"})) == ["supplier-b"]
    assert _slugs(anonymous.api("GET", "/api/suppliers", {"verified": "true"})) == ["supplier-b"]
    assert (
        _slugs(anonymous.api("GET", "/api/suppliers", {"belt": "yiwu", "verified": "true"})) == []
    )
    assert _slugs(anonymous.api("GET", "/api/suppliers", {"belt": "nowhere"})) == []


def test_supplier_detail_api(anonymous, supplier_a):
    supplier_profile_update(actor=supplier_a.actor, data={"tagline": "Bowls", "oem": True})
    response = anonymous.api("GET", "/api/suppliers/supplier-a")
    assert response.status_code == 200
    assert response.json() == _supplier_out(
        "supplier-a", "supplier_a Co.", tagline="Bowls", oem=True
    )


@pytest.mark.parametrize("slug", ["buyer-x", "no-such-supplier"])
def test_supplier_detail_api_is_404_for_non_suppliers(anonymous, buyer_x, slug):
    response = anonymous.api("GET", f"/api/suppliers/{slug}")
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_inactive_supplier_is_hidden_from_the_api(anonymous, supplier_a, supplier_b):
    Organization.objects.filter(pk=supplier_b.organization.pk).update(is_active=False)
    assert _slugs(anonymous.api("GET", "/api/suppliers")) == ["supplier-a"]
    assert anonymous.api("GET", "/api/suppliers/supplier-b").status_code == 404


def test_supplier_products_api_lists_published_products_only(
    anonymous, supplier_a, supplier_b, category
):
    published = make_product(supplier_a.actor, category, title_en="Published bowl")
    make_product(supplier_a.actor, category, publish=False, title_en="Draft bowl")
    make_product(supplier_b.actor, category, title_en="Other bowl")
    response = anonymous.api("GET", "/api/suppliers/supplier-a/products")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [(item["id"], item["title"]) for item in body["items"]] == [
        (published.pk, "Published bowl")
    ]


def test_belts_api_lists_belts_in_order_with_localized_names(anonymous, yiwu, dehua):
    response = anonymous.api("GET", "/api/belts")
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": yiwu.pk,
                "slug": "yiwu",
                "name": "Yiwu small commodities",
                "name_zh_hans": "义乌小商品",
                "name_en": "Yiwu small commodities",
                "name_de": "Yiwu Kleinwaren",
                "province": "浙江",
                "city": "义乌",
            },
            {
                "id": dehua.pk,
                "slug": "dehua",
                "name": "Dehua ceramics",
                "name_zh_hans": "德化陶瓷",
                "name_en": "Dehua ceramics",
                "name_de": "Dehua Keramik",
                "province": "福建",
                "city": "德化",
            },
        ],
        "count": 2,
    }


def test_belts_api_names_follow_the_callers_language(anonymous, yiwu):
    response = anonymous.api("GET", "/api/belts", accept_language="zh-hans")
    assert response.json()["items"][0]["name"] == "义乌小商品"
    response = anonymous.api("GET", "/api/belts", accept_language="de")
    assert response.json()["items"][0]["name"] == "Yiwu Kleinwaren"


def test_unknown_belt_is_refused_in_the_callers_language(supplier_a):
    before = _snapshot(supplier_a)
    response = supplier_a.api("PUT", PROFILE, {"belt": "nowhere"}, accept_language="de")
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid",
        "message": "Wählen Sie einen Industriegürtel aus der Liste.",
        "field": "belt",
    }
    assert _snapshot(supplier_a) == before


def test_factory_photos_through_the_api(supplier_a):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 120, 30)).save(buffer, "PNG")
    upload = SimpleUploadedFile("hall.png", buffer.getvalue(), content_type="image/png")
    created = supplier_a.api(
        "POST", "/api/supplier/profile/photos", {"photo": upload, "caption": "Hall"}
    )
    assert created.status_code == 201
    body = created.json()
    assert body["caption"] == "Hall"
    assert body["url"].startswith("/media/factory/")
    listed = supplier_a.api("GET", "/api/supplier/profile/photos").json()
    assert listed == {"items": [body], "count": 1}
    deleted = supplier_a.api("DELETE", f"/api/supplier/profile/photos/{body['id']}")
    assert (deleted.status_code, deleted.json()) == (200, {"ok": True})
    assert supplier_a.api("GET", "/api/supplier/profile/photos").json()["count"] == 0
