"""Supplier services and selectors: profile, logo, verification, public lists, belts."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from huoyuan.accounts.models import Organization
from huoyuan.catalogue.services import product_set_status
from huoyuan.catalogue.tests.factories import make_product
from huoyuan.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from huoyuan.suppliers.contracts import BusinessType, VerificationLevel
from huoyuan.suppliers.models import IndustrialBelt, SupplierProfile
from huoyuan.suppliers.selectors import (
    belt_get,
    supplier_get_public,
    supplier_list_public,
    supplier_profile_for_actor,
    verification_queue,
)
from huoyuan.suppliers.services import (
    belts_load,
    supplier_logo_set,
    supplier_profile_update,
    verification_request,
    verification_set,
)
from huoyuan.suppliers.tests.support import EDITABLE

pytestmark = pytest.mark.django_db


def _snapshot(person):
    profile = SupplierProfile.objects.get(organization=person.organization)
    return {name: getattr(profile, name) for name in EDITABLE} | {"logo": profile.logo.name}


def _png(size=(600, 300), mode="RGB", name="logo.png"):
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 30, 30, 255)[: len(mode)]).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- profile -----------------------------------------------------------------------------------


def test_profile_update_sets_every_editable_field(supplier_a, yiwu):
    supplier_profile_update(
        actor=supplier_a.actor,
        data={
            "business_type": "trading",
            "belt_id": yiwu.pk,
            "tagline": "Bowls since 1998",
            "description": "We make ceramic bowls.",
            "province": "浙江",
            "city": "义乌",
            "founded_year": 1998,
            "floor_area_m2": 12000,
            "staff_count": 250,
            "monthly_capacity": "200,000 pieces",
            "oem": True,
            "odm": True,
            "certifications": ["  ISO 9001 ", "", "BSCI", "x" * 100],
            "patents_count": 12,
        },
    )
    profile = SupplierProfile.objects.get(organization=supplier_a.organization)
    assert {name: getattr(profile, name) for name in EDITABLE[:14]} == {
        "business_type": "trading",
        "belt_id": yiwu.pk,
        "tagline": "Bowls since 1998",
        "description": "We make ceramic bowls.",
        "province": "浙江",
        "city": "义乌",
        "founded_year": 1998,
        "floor_area_m2": 12000,
        "staff_count": 250,
        "monthly_capacity": "200,000 pieces",
        "oem": True,
        "odm": True,
        "certifications": ["ISO 9001", "BSCI", "x" * 80],
        "patents_count": 12,
    }
    assert profile.verification_level == VerificationLevel.NONE


def test_profile_update_with_none_clears_fields(supplier_a, yiwu):
    supplier_profile_update(
        actor=supplier_a.actor,
        data={
            "belt_id": yiwu.pk,
            "tagline": "Hi",
            "founded_year": 2001,
            "oem": True,
            "certifications": ["ISO"],
            "patents_count": 3,
        },
    )
    supplier_profile_update(
        actor=supplier_a.actor,
        data={
            "belt_id": None,
            "tagline": None,
            "founded_year": None,
            "oem": None,
            "certifications": None,
            "patents_count": None,
        },
    )
    profile = SupplierProfile.objects.get(organization=supplier_a.organization)
    assert (profile.belt_id, profile.tagline, profile.founded_year, profile.oem) == (
        None,
        "",
        None,
        False,
    )
    assert (profile.certifications, profile.patents_count) == ([], 0)


def test_profile_update_leaves_fields_it_was_not_given(supplier_a):
    supplier_profile_update(actor=supplier_a.actor, data={"tagline": "First", "city": "义乌"})
    supplier_profile_update(actor=supplier_a.actor, data={"tagline": "Second"})
    profile = SupplierProfile.objects.get(organization=supplier_a.organization)
    assert (profile.tagline, profile.city) == ("Second", "义乌")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"verification_level": 3}, "verification_level", "Unknown field."),
        ({"organization_id": 99}, "organization_id", "Unknown field."),
        ({"business_type": "shop"}, "business_type", "Choose factory or trading company."),
        ({"belt_id": 999_999}, "belt_id", "Choose an industrial belt from the list."),
        ({"founded_year": 1799}, "founded_year", "Enter a year the company was founded in."),
        ({"staff_count": -1}, "staff_count", "Enter a whole number of zero or more."),
        ({"floor_area_m2": 100_000_001}, "floor_area_m2", "Enter a whole number of zero or more."),
        ({"patents_count": -5}, "patents_count", "Enter a whole number of zero or more."),
        ({"certifications": "ISO 9001"}, "certifications", "List at most 30 certifications."),
        ({"certifications": ["c"] * 31}, "certifications", "List at most 30 certifications."),
        ({"tagline": "x" * 141}, "tagline", "At most 140 characters."),
        ({"description": "x" * 5001}, "description", "At most 5000 characters."),
        ({"city": "x" * 41}, "city", "At most 40 characters."),
        ({"monthly_capacity": "x" * 81}, "monthly_capacity", "At most 80 characters."),
    ],
)
def test_rejects_bad_profile_values_and_changes_nothing(supplier_a, data, field, message):
    before = _snapshot(supplier_a)
    with pytest.raises(ValidationFailed) as caught:
        supplier_profile_update(actor=supplier_a.actor, data={"tagline": "Changed", **data})
    assert caught.value.as_dict() == {"code": "invalid", "message": message, "field": field}
    assert _snapshot(supplier_a) == before


def test_rejects_a_founding_year_in_the_future(supplier_a):
    before = _snapshot(supplier_a)
    with pytest.raises(ValidationFailed) as caught:
        supplier_profile_update(
            actor=supplier_a.actor, data={"founded_year": timezone.now().year + 1}
        )
    assert caught.value.field == "founded_year"
    assert _snapshot(supplier_a) == before


def test_buyer_cannot_edit_a_supplier_profile_and_none_is_created(buyer_x):
    count = SupplierProfile.objects.count()
    with pytest.raises(PermissionDenied) as caught:
        supplier_profile_update(actor=buyer_x.actor, data={"tagline": "Not a factory"})
    assert (
        str(caught.value.message) == "Switch to a supplier organization to edit a supplier profile."
    )
    assert SupplierProfile.objects.count() == count
    assert not SupplierProfile.objects.filter(organization=buyer_x.organization).exists()


def test_profile_update_touches_only_the_actors_profile(supplier_a, supplier_b):
    before = _snapshot(supplier_b)
    supplier_profile_update(actor=supplier_a.actor, data={"tagline": "Mine"})
    assert _snapshot(supplier_b) == before


# --- logo --------------------------------------------------------------------------------------


def test_logo_accepts_a_png_and_stores_a_re_encoded_thumbnail(supplier_a):
    supplier_logo_set(actor=supplier_a.actor, upload=_png())
    profile = SupplierProfile.objects.get(organization=supplier_a.organization)
    assert profile.logo.name.startswith("logos/")
    assert profile.logo.name.endswith(".jpg")  # no transparency: re-encoded as JPEG
    assert "logo" not in profile.logo.name.removeprefix("logos/")  # never the client's name
    with profile.logo.open("rb") as stored, Image.open(stored) as image:
        assert (image.format, image.size) == ("JPEG", (480, 240))


def test_logo_with_transparency_stays_png(supplier_a):
    supplier_logo_set(actor=supplier_a.actor, upload=_png(size=(64, 64), mode="RGBA"))
    profile = SupplierProfile.objects.get(organization=supplier_a.organization)
    with profile.logo.open("rb") as stored, Image.open(stored) as image:
        assert (image.format, image.size, image.mode) == ("PNG", (64, 64), "RGBA")


def test_rejects_a_text_file_as_logo_and_changes_nothing(supplier_a):
    upload = SimpleUploadedFile(
        "logo.png", b"just some text, not an image", content_type="image/png"
    )
    with pytest.raises(ValidationFailed) as caught:
        supplier_logo_set(actor=supplier_a.actor, upload=upload)
    assert caught.value.as_dict() == {
        "code": "image_rejected",
        "message": "This file is not a readable JPEG, PNG or WebP image.",
        "field": "logo",
    }
    assert SupplierProfile.objects.get(organization=supplier_a.organization).logo.name == ""


def test_rejects_a_gif_logo(supplier_a):
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "GIF")
    upload = SimpleUploadedFile("logo.gif", buffer.getvalue(), content_type="image/gif")
    with pytest.raises(ValidationFailed) as caught:
        supplier_logo_set(actor=supplier_a.actor, upload=upload)
    assert str(caught.value.message) == "Upload a JPEG, PNG or WebP image."
    assert SupplierProfile.objects.get(organization=supplier_a.organization).logo.name == ""


def test_buyer_cannot_set_a_logo(buyer_x):
    with pytest.raises(PermissionDenied):
        supplier_logo_set(actor=buyer_x.actor, upload=_png())
    assert not SupplierProfile.objects.filter(organization=buyer_x.organization).exists()


# --- verification ------------------------------------------------------------------------------


def test_verification_request_records_the_time(supplier_a):
    before = timezone.now()
    verification_request(actor=supplier_a.actor)
    profile = SupplierProfile.objects.get(organization=supplier_a.organization)
    assert before <= profile.verification_requested_at <= timezone.now()
    assert profile.verification_level == VerificationLevel.NONE


def test_rejects_a_second_verification_request_and_keeps_the_first(supplier_a):
    verification_request(actor=supplier_a.actor)
    first = SupplierProfile.objects.get(
        organization=supplier_a.organization
    ).verification_requested_at
    with pytest.raises(Conflict) as caught:
        verification_request(actor=supplier_a.actor)
    assert caught.value.as_dict() == {
        "code": "conflict",
        "message": "Verification was already requested; the operator will get back to you.",
        "field": None,
    }
    assert (
        SupplierProfile.objects.get(organization=supplier_a.organization).verification_requested_at
        == first
    )


def test_buyer_cannot_request_verification(buyer_x):
    with pytest.raises(PermissionDenied):
        verification_request(actor=buyer_x.actor)
    assert not SupplierProfile.objects.filter(organization=buyer_x.organization).exists()


def test_operator_sets_a_level_which_clears_the_request(supplier_a, operator):
    verification_request(actor=supplier_a.actor)
    before = timezone.now()
    profile = verification_set(
        actor=operator.actor,
        organization_id=supplier_a.organization.pk,
        level=VerificationLevel.ONSITE,
    )
    profile.refresh_from_db()
    assert profile.verification_level == VerificationLevel.ONSITE
    assert profile.verification_requested_at is None
    assert before <= profile.verified_at <= timezone.now()
    assert list(verification_queue(actor=operator.actor)) == []


def test_setting_level_none_clears_verified_at(supplier_a, operator):
    verification_set(actor=operator.actor, organization_id=supplier_a.organization.pk, level=2)
    verification_set(actor=operator.actor, organization_id=supplier_a.organization.pk, level=0)
    profile = SupplierProfile.objects.get(organization=supplier_a.organization)
    assert (profile.verification_level, profile.verified_at) == (0, None)


@pytest.mark.parametrize("who", ["supplier_a", "supplier_b", "buyer_x"])
def test_only_the_operator_may_set_verification(cast, who):
    supplier_a = cast["supplier_a"]
    verification_request(actor=supplier_a.actor)
    before = _snapshot(supplier_a)
    with pytest.raises(NotFound):
        verification_set(
            actor=cast[who].actor,
            organization_id=supplier_a.organization.pk,
            level=VerificationLevel.DEEP,
        )
    assert _snapshot(supplier_a) == before


def test_rejects_an_unknown_verification_level(supplier_a, operator):
    verification_request(actor=supplier_a.actor)
    before = _snapshot(supplier_a)
    with pytest.raises(ValidationFailed) as caught:
        verification_set(actor=operator.actor, organization_id=supplier_a.organization.pk, level=7)
    assert (caught.value.field, str(caught.value.message)) == (
        "level",
        "Choose a verification level from the list.",
    )
    assert _snapshot(supplier_a) == before


def test_setting_verification_of_a_non_supplier_is_not_found(operator, buyer_x):
    with pytest.raises(NotFound):
        verification_set(actor=operator.actor, organization_id=buyer_x.organization.pk, level=1)
    assert not SupplierProfile.objects.filter(organization=buyer_x.organization).exists()


def test_verification_queue_lists_requests_oldest_first_for_the_operator(
    supplier_a, supplier_b, operator
):
    verification_request(actor=supplier_b.actor)
    verification_request(actor=supplier_a.actor)
    SupplierProfile.objects.filter(organization=supplier_a.organization).update(
        verification_requested_at=timezone.now() + timedelta(minutes=1)
    )
    queue = verification_queue(actor=operator.actor)
    assert [p.organization.slug for p in queue] == ["supplier-b", "supplier-a"]


@pytest.mark.parametrize("who", ["supplier_a", "buyer_x"])
def test_verification_queue_is_not_found_for_others(cast, who):
    with pytest.raises(NotFound):
        verification_queue(actor=cast[who].actor)


# --- public reads ------------------------------------------------------------------------------


def test_supplier_list_filters_by_belt_and_verification(
    supplier_a, supplier_b, buyer_x, yiwu, dehua
):
    supplier_profile_update(actor=supplier_a.actor, data={"belt_id": yiwu.pk})
    supplier_profile_update(actor=supplier_b.actor, data={"belt_id": dehua.pk})
    SupplierProfile.objects.filter(organization=supplier_b.organization).update(
        verification_level=1
    )

    def slugs(**kwargs):
        return [p.organization.slug for p in supplier_list_public(**kwargs)]

    assert slugs() == ["supplier-b", "supplier-a"]  # verified first
    assert slugs(belt_slug="yiwu") == ["supplier-a"]
    assert slugs(belt_slug="dehua") == ["supplier-b"]
    assert slugs(verified_only=True) == ["supplier-b"]
    assert slugs(belt_slug="yiwu", verified_only=True) == []
    assert slugs(belt_slug="nowhere") == []


def test_supplier_list_counts_published_products_only(supplier_a, supplier_b, category):
    make_product(supplier_a.actor, category, title_en="On sale")
    make_product(supplier_a.actor, category, publish=False, title_en="Draft")
    archived = make_product(supplier_a.actor, category, title_en="Old")
    product_set_status(actor=supplier_a.actor, product_id=archived.pk, status="archived")
    counts = {p.organization.slug: p.product_count for p in supplier_list_public()}
    assert counts == {"supplier-a": 1, "supplier-b": 0}


def test_inactive_suppliers_are_hidden(supplier_a, supplier_b):
    Organization.objects.filter(pk=supplier_b.organization.pk).update(is_active=False)
    assert [p.organization.slug for p in supplier_list_public()] == ["supplier-a"]
    with pytest.raises(NotFound):
        supplier_get_public(slug="supplier-b")


def test_supplier_get_public_finds_suppliers_only(supplier_a, buyer_x):
    assert supplier_get_public(slug="supplier-a").organization == supplier_a.organization
    with pytest.raises(NotFound):
        supplier_get_public(slug="buyer-x")
    with pytest.raises(NotFound):
        supplier_get_public(slug="no-such-supplier")


def test_profile_for_actor_is_not_found_for_a_buyer(supplier_a, buyer_x):
    assert (
        supplier_profile_for_actor(actor=supplier_a.actor).organization == supplier_a.organization
    )
    with pytest.raises(NotFound):
        supplier_profile_for_actor(actor=buyer_x.actor)


def test_belt_get_by_slug(yiwu):
    assert belt_get(slug="yiwu") == yiwu
    with pytest.raises(NotFound):
        belt_get(slug="nowhere")


def test_belts_load_creates_and_updates_belts_in_file_order(tmp_path, yiwu):
    path = tmp_path / "belts.json"
    path.write_text(
        json.dumps(
            [
                {
                    "slug": "dehua",
                    "zh_hans": "德化陶瓷",
                    "en": "Dehua ceramics",
                    "de": "Dehua Keramik",
                    "province_zh": "福建",
                    "city_zh": "德化",
                },
                {
                    "slug": "yiwu",
                    "zh_hans": "义乌",
                    "en": "Yiwu",
                    "de": "Yiwu",
                    "description_en": "Small goods",
                },
            ],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    assert belts_load(path=path) == 2
    assert list(IndustrialBelt.objects.values_list("slug", "position", "name_en", "province")) == [
        ("dehua", 0, "Dehua ceramics", "福建"),
        ("yiwu", 1, "Yiwu", ""),
    ]
    assert IndustrialBelt.objects.get(slug="yiwu").description_en == "Small goods"
    assert IndustrialBelt.objects.get(slug="yiwu").pk == yiwu.pk


def test_new_supplier_profiles_default_to_an_unverified_factory(supplier_a):
    profile = SupplierProfile.objects.get(organization=supplier_a.organization)
    assert (profile.business_type, profile.verification_level, profile.logo.name) == (
        BusinessType.FACTORY,
        VerificationLevel.NONE,
        "",
    )


# --- factory photos ------------------------------------------------------------------------------


def _photo_png(name: str = "floor.png"):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 200)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_factory_photos_are_added_in_order_with_captions(supplier_a):
    from huoyuan.suppliers.services import factory_photo_add

    first = factory_photo_add(
        actor=supplier_a.actor, upload=_photo_png(), caption="  Moulding hall "
    )
    second = factory_photo_add(actor=supplier_a.actor, upload=_photo_png(), caption="")
    assert [(p.caption, p.position) for p in (first, second)] == [("Moulding hall", 0), ("", 1)]
    assert first.profile.organization_id == supplier_a.organization.pk
    assert first.thumbnail.name != first.image.name


def test_factory_photos_are_capped(supplier_a):
    from huoyuan.suppliers.models import FactoryPhoto
    from huoyuan.suppliers.services import MAX_FACTORY_PHOTOS, factory_photo_add

    for _ in range(MAX_FACTORY_PHOTOS):
        factory_photo_add(actor=supplier_a.actor, upload=_photo_png())
    with pytest.raises(ValidationFailed) as caught:
        factory_photo_add(actor=supplier_a.actor, upload=_photo_png())
    assert caught.value.field == "photo"
    assert FactoryPhoto.objects.count() == MAX_FACTORY_PHOTOS


def test_a_factory_photo_that_is_not_an_image_is_refused(supplier_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from huoyuan.suppliers.models import FactoryPhoto
    from huoyuan.suppliers.services import factory_photo_add

    with pytest.raises(ValidationFailed) as caught:
        factory_photo_add(
            actor=supplier_a.actor, upload=SimpleUploadedFile("x.png", b"<svg onload=alert(1)>")
        )
    assert caught.value.field == "photo"
    assert FactoryPhoto.objects.count() == 0


def test_another_suppliers_factory_photo_cannot_be_deleted(supplier_a, supplier_b):
    from huoyuan.suppliers.models import FactoryPhoto
    from huoyuan.suppliers.services import factory_photo_add, factory_photo_delete

    photo = factory_photo_add(actor=supplier_a.actor, upload=_photo_png())
    with pytest.raises(NotFound):
        factory_photo_delete(actor=supplier_b.actor, photo_id=photo.pk)
    assert FactoryPhoto.objects.filter(pk=photo.pk).exists()
    factory_photo_delete(actor=supplier_a.actor, photo_id=photo.pk)
    assert not FactoryPhoto.objects.exists()


def test_a_buyer_cannot_add_factory_photos(buyer_x):
    from huoyuan.suppliers.models import FactoryPhoto
    from huoyuan.suppliers.services import factory_photo_add

    with pytest.raises(PermissionDenied):
        factory_photo_add(actor=buyer_x.actor, upload=_photo_png())
    assert FactoryPhoto.objects.count() == 0


def test_the_storefront_shows_factory_photos(supplier_a, anonymous):
    from huoyuan.suppliers.services import factory_photo_add

    photo = factory_photo_add(actor=supplier_a.actor, upload=_photo_png(), caption="Warehouse")
    html = anonymous.client.get("/s/supplier-a/").content.decode()
    assert photo.thumbnail.url in html
    assert 'alt="Warehouse"' in html


def test_a_new_logo_replaces_the_old_file(supplier_a, django_capture_on_commit_callbacks):
    from huoyuan.suppliers.services import supplier_logo_set

    with django_capture_on_commit_callbacks(execute=True):
        first = supplier_logo_set(actor=supplier_a.actor, upload=_photo_png()).logo
        old_name, storage = first.name, first.storage
    with django_capture_on_commit_callbacks(execute=True):
        second = supplier_logo_set(actor=supplier_a.actor, upload=_photo_png()).logo
    assert second.name != old_name
    assert storage.exists(second.name)
    assert not storage.exists(old_name)
