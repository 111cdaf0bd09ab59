"""Idempotency-Key on the JSON API: real HTTP requests against POST /api/supplier/products."""

import json

import pytest

from huoyuan.catalogue.models import PriceTier, Product, Sku
from huoyuan.core.models import IdempotencyRecord

pytestmark = pytest.mark.django_db

URL = "/api/supplier/products"


def payload(**overrides):
    body = {
        "category": "tableware",
        "title_zh_hans": "酒红陶瓷碗",
        "title_en": "Wine-red ceramic bowl",
        "skus": [
            {
                "code": "BOWL-RED",
                "stock": 100,
                "moq": 2,
                "ladder": [
                    {"min_quantity": 2, "unit_price": "12.50"},
                    {"min_quantity": 100, "unit_price": "11.00"},
                ],
            }
        ],
    }
    body.update(overrides)
    return body


def post(person, body, key):
    return person.api("POST", URL, body, **{"Idempotency-Key": key})


def test_same_key_and_body_creates_one_product_and_replays_the_first_response(supplier_a, category):
    first = post(supplier_a, payload(), "create-bowl-1")
    second = post(supplier_a, payload(), "create-bowl-1")

    assert first.status_code == 201
    assert second.status_code == 201
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Product.objects.count() == 1
    assert Sku.objects.count() == 1
    assert PriceTier.objects.count() == 2
    assert json.loads(second.content)["id"] == Product.objects.get().pk
    assert IdempotencyRecord.objects.count() == 1


def test_same_key_with_a_different_body_is_refused_and_creates_nothing(supplier_a, category):
    first = post(supplier_a, payload(), "create-bowl-2")
    product = Product.objects.get()

    reused = post(supplier_a, payload(title_en="Another bowl"), "create-bowl-2")

    assert first.status_code == 201
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert reused.json()["field"] is None
    assert "Idempotent-Replayed" not in reused
    assert list(Product.objects.values_list("pk", "title_en")) == [
        (product.pk, "Wine-red ceramic bowl")
    ]
    assert Sku.objects.count() == 1


def test_same_key_on_another_path_counts_as_a_different_request(supplier_a, category):
    post(supplier_a, payload(), "shared-key")
    response = supplier_a.api(
        "POST", f"{URL}?publish=true", payload(), **{"Idempotency-Key": "shared-key"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Product.objects.count() == 1


def test_keys_are_scoped_per_caller(supplier_a, supplier_b, category):
    a = post(supplier_a, payload(), "same-key")
    b = post(supplier_b, payload(), "same-key")

    assert (a.status_code, b.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in b
    assert a.json()["id"] != b.json()["id"]
    assert sorted(Product.objects.values_list("supplier__slug", flat=True)) == [
        "supplier-a",
        "supplier-b",
    ]
    assert IdempotencyRecord.objects.count() == 2


def test_a_browser_session_has_its_own_scope_too(supplier_a, category):
    token_call = post(supplier_a, payload(), "session-key")
    session_call = supplier_a.client.post(
        URL, payload(), content_type="application/json", HTTP_IDEMPOTENCY_KEY="session-key"
    )
    replay = supplier_a.client.post(
        URL, payload(), content_type="application/json", HTTP_IDEMPOTENCY_KEY="session-key"
    )

    assert (token_call.status_code, session_call.status_code, replay.status_code) == (201, 201, 201)
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.content == session_call.content
    assert Product.objects.count() == 2


def test_a_failed_validation_is_replayed_as_the_same_error(supplier_a, category):
    bad = payload()
    bad["skus"][0]["ladder"] = [
        {"min_quantity": 2, "unit_price": "11.00"},
        {"min_quantity": 100, "unit_price": "12.50"},
    ]
    first = post(supplier_a, bad, "bad-ladder")
    second = post(supplier_a, bad, "bad-ladder")

    assert first.status_code == 422
    assert first.json() == {
        "code": "ladder_invalid",
        "message": "A larger quantity cannot cost more per unit than a smaller one.",
        "field": "skus.0.ladder.1",
    }
    assert second.status_code == 422
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert Product.objects.count() == 0
    assert Sku.objects.count() == 0


def test_a_schema_error_is_replayed_and_the_key_stays_bound_to_it(supplier_a, category):
    bad = payload(unexpected="x")
    first = post(supplier_a, bad, "schema-error")
    second = post(supplier_a, bad, "schema-error")
    fixed = post(supplier_a, payload(), "schema-error")

    assert (first.status_code, second.status_code) == (422, 422)
    assert second.content == first.content
    assert fixed.status_code == 422
    assert fixed.json()["code"] == "idempotency_key_reused"
    assert Product.objects.count() == 0


def test_a_denied_request_is_replayed_as_the_same_denial(buyer_x, category):
    first = post(buyer_x, payload(), "buyer-key")
    second = post(buyer_x, payload(), "buyer-key")

    assert (first.status_code, second.status_code) == (403, 403)
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert Product.objects.count() == 0


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_an_empty_or_overlong_key_is_refused(supplier_a, category, key):
    response = post(supplier_a, payload(), key)

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_idempotency_key",
        "message": "Idempotency-Key must be 1 to 255 characters.",
        "field": None,
    }
    assert Product.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


def test_a_255_character_key_is_accepted(supplier_a, category):
    response = post(supplier_a, payload(), "k" * 255)
    assert response.status_code == 201
    assert IdempotencyRecord.objects.get().key == "k" * 255


def test_requests_without_a_key_are_not_deduplicated(supplier_a, category):
    first = supplier_a.api("POST", URL, payload())
    second = supplier_a.api("POST", URL, payload())
    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second
    assert Product.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 0


def test_safe_methods_ignore_the_key(supplier_a, category):
    post(supplier_a, payload(), "read-key")
    response = supplier_a.api("GET", URL, **{"Idempotency-Key": "read-key"})
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response
    assert response.json()["count"] == 1


def _csv(name: str, extra_bytes: int = 0):
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = (
        "product_ref,category,title_en,sku_code,stock,moq,ladder\n"
        "P1,tableware,Plain plate,PLATE-1,10,1,1:5.00\n"
    )
    # Trailing blank lines are skipped by the importer; they only make the file big.
    return SimpleUploadedFile(name, (rows + "\n" * extra_bytes).encode(), content_type="text/csv")


def test_a_retried_upload_creates_one_import(
    supplier_a, category, django_capture_on_commit_callbacks
):
    from huoyuan.catalogue.models import ImportJob

    with django_capture_on_commit_callbacks(execute=True):
        first = supplier_a.api(
            "POST", "/api/supplier/imports", {"file": _csv("p.csv")}, **{"Idempotency-Key": "up-1"}
        )
        again = supplier_a.api(
            "POST", "/api/supplier/imports", {"file": _csv("p.csv")}, **{"Idempotency-Key": "up-1"}
        )
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert ImportJob.objects.count() == 1
    other = supplier_a.api(
        "POST", "/api/supplier/imports", {"file": _csv("q.csv")}, **{"Idempotency-Key": "up-1"}
    )
    assert other.status_code == 422
    assert ImportJob.objects.count() == 1


def test_an_upload_above_the_in_memory_body_limit_still_works_with_a_key(supplier_a, category):
    from django.conf import settings

    from huoyuan.catalogue.models import ImportJob

    big = _csv("big.csv", extra_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024)
    response = supplier_a.api(
        "POST", "/api/supplier/imports", {"file": big}, **{"Idempotency-Key": "big-1"}
    )
    assert response.status_code == 202, response.content[:300]
    assert ImportJob.objects.count() == 1
