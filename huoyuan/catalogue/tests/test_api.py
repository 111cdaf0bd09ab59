"""The catalogue JSON API: supplier writes, public reads, price quotes and keyword search."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from huoyuan.catalogue.contracts import ProductStatus
from huoyuan.catalogue.models import PriceTier, Product, ProductImage, Sku
from huoyuan.catalogue.services import product_set_status
from huoyuan.catalogue.tests.factories import CategoryFactory, make_product, sku
from huoyuan.suppliers.models import IndustrialBelt, SupplierProfile

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/supplier/products"


def payload(**overrides):
    body = {
        "category": "tableware",
        "title_zh_hans": "酒红陶瓷碗",
        "title_en": "Wine-red ceramic bowl",
        "title_de": "Weinrote Keramikschale",
        "description_en": "Glazed stoneware, dishwasher safe.",
        "attributes": {"material": "stoneware"},
        "mixed_batch_moq": 50,
        "lead_time_days": 5,
        "weight_g": 420,
        "skus": [
            {
                "code": "BOWL-RED",
                "attributes": {"colour": "Red"},
                "stock": 300,
                "moq": 2,
                "ladder": [
                    {"min_quantity": 2, "unit_price": "12.50"},
                    {"min_quantity": 100, "unit_price": "11"},
                    {"min_quantity": 1000, "unit_price": "9.8"},
                ],
                "dropship_price": "15.00",
                "sample_price": "20",
            },
            {
                "code": "BOWL-BLUE",
                "attributes": {"colour": "Blue"},
                "stock": 40,
                "moq": 5,
                "ladder": [{"min_quantity": 5, "unit_price": "13.00"}],
            },
        ],
    }
    body.update(overrides)
    return body


def ladder_up():
    body = payload()
    body["skus"][1]["ladder"] = [
        {"min_quantity": 5, "unit_price": "13.00"},
        {"min_quantity": 50, "unit_price": "13.50"},
    ]
    return body


def nothing_written():
    return (Product.objects.count(), Sku.objects.count(), PriceTier.objects.count()) == (0, 0, 0)


def jpeg_upload():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(out, "JPEG")
    return SimpleUploadedFile("p.jpg", out.getvalue(), content_type="image/jpeg")


# --- create --------------------------------------------------------------------------------------


def test_supplier_creates_a_draft_product_with_ladders_in_minor_units(supplier_a, category):
    response = supplier_a.api("POST", PRODUCTS, payload())

    assert response.status_code == 201
    product = Product.objects.get()
    body = response.json()
    red, blue = product.skus.order_by("position")
    assert body == {
        "id": product.pk,
        "title": "Wine-red ceramic bowl",
        "category": "tableware",
        "currency": "CNY",
        "price_min_minor": 980,
        "price_max_minor": 1300,
        "moq_min": 2,
        "dropship_available": True,
        "thumbnail_url": None,
        "supplier": {
            "slug": "supplier-a",
            "name": "supplier_a Co.",
            "verification_level": 0,
            "belt": None,
        },
        "published_at": None,
        "status": "draft",
        "title_zh_hans": "酒红陶瓷碗",
        "title_en": "Wine-red ceramic bowl",
        "title_de": "Weinrote Keramikschale",
        "description": "Glazed stoneware, dishwasher safe.",
        "description_zh_hans": "",
        "description_en": "Glazed stoneware, dishwasher safe.",
        "description_de": "",
        "attributes": {"material": "stoneware"},
        "mixed_batch_moq": 50,
        "lead_time_days": 5,
        "weight_g": 420,
        "length_mm": None,
        "width_mm": None,
        "height_mm": None,
        "skus": [
            {
                "id": red.pk,
                "code": "BOWL-RED",
                "attributes": {"colour": "Red"},
                "stock": 300,
                "moq": 2,
                "dropship_price_minor": 1500,
                "sample_price_minor": 2000,
                "sample_limit": 2,
                "ladder": [
                    {"min_quantity": 2, "unit_price_minor": 1250},
                    {"min_quantity": 100, "unit_price_minor": 1100},
                    {"min_quantity": 1000, "unit_price_minor": 980},
                ],
            },
            {
                "id": blue.pk,
                "code": "BOWL-BLUE",
                "attributes": {"colour": "Blue"},
                "stock": 40,
                "moq": 5,
                "dropship_price_minor": None,
                "sample_price_minor": None,
                "sample_limit": 2,
                "ladder": [{"min_quantity": 5, "unit_price_minor": 1300}],
            },
        ],
        "images": [],
    }
    assert product.supplier_id == supplier_a.organization.pk
    assert product.stock_total == 340


def test_create_with_publish_publishes(supplier_a, category):
    response = supplier_a.api("POST", f"{PRODUCTS}?publish=true", payload())
    assert response.status_code == 201
    assert response.json()["status"] == "published"
    assert response.json()["published_at"] is not None
    assert Product.objects.get().status == ProductStatus.PUBLISHED


def test_a_zero_digit_currency_takes_whole_prices(supplier_a, category):
    body = payload(currency="JPY")
    body["skus"] = [{"code": "J", "stock": 1, "ladder": [{"min_quantity": 1, "unit_price": "980"}]}]
    response = supplier_a.api("POST", PRODUCTS, body)
    assert response.status_code == 201
    assert response.json()["skus"][0]["ladder"] == [{"min_quantity": 1, "unit_price_minor": 980}]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.update(supplier=1), "supplier"),
        (lambda b: b.update(status="published"), "status"),
        (lambda b: b.update(price_min_minor=1), "price_min_minor"),
        (lambda b: b["skus"][0].update(id=99), "skus.0.id"),
        (lambda b: b["skus"][1].update(tiers=[]), "skus.1.tiers"),
        (
            lambda b: b["skus"][0]["ladder"][0].update(unit_price_minor=1),
            "skus.0.ladder.0.unit_price_minor",
        ),
    ],
    ids=["supplier", "status", "summary", "sku-id", "sku-tiers", "ladder-minor"],
)
def test_unknown_fields_are_refused_and_nothing_is_created(supplier_a, category, mutate, field):
    body = payload()
    mutate(body)

    response = supplier_a.api("POST", PRODUCTS, body)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert response.json()["field"] == field
    assert response.json()["message"] == "Extra inputs are not permitted"
    assert nothing_written()


def test_a_ladder_that_goes_up_is_refused_with_its_path(supplier_a, category):
    response = supplier_a.api("POST", PRODUCTS, ladder_up())

    assert response.status_code == 422
    assert response.json() == {
        "code": "ladder_invalid",
        "message": "A larger quantity cannot cost more per unit than a smaller one.",
        "field": "skus.1.ladder.1",
    }
    assert nothing_written()


@pytest.mark.parametrize(
    ("mutate", "status", "code", "field", "message"),
    [
        (
            lambda b: b["skus"][0].update(stock=-1),
            422,
            "invalid",
            "skus.0.stock",
            "Input should be greater than or equal to 0",
        ),
        (
            lambda b: b.update(category="no-such-category"),
            422,
            "invalid",
            "category",
            "Choose a category from the list.",
        ),
        (
            lambda b: b["skus"][0]["ladder"][1].update(unit_price="abc"),
            422,
            "invalid",
            "skus.0.ladder.1",
            "Enter an amount such as 12.50.",
        ),
        (
            lambda b: b["skus"][0]["ladder"][1].update(unit_price="-1"),
            422,
            "invalid",
            "skus.0.ladder.1",
            "An amount cannot be negative.",
        ),
        (
            lambda b: b["skus"][0].update(dropship_price="1.234"),
            422,
            "invalid",
            "skus.0.dropship_price",
            "Use at most 2 decimal places.",
        ),
        (
            lambda b: b["skus"][1].update(code="BOWL-red"),
            422,
            "invalid",
            "skus.1.code",
            "Each SKU code may appear once.",
        ),
        (
            lambda b: b["skus"][0].update(moq=1),
            422,
            "ladder_invalid",
            "skus.0.ladder",
            "The first break (2) must not be above the MOQ (1).",
        ),
        (
            lambda b: b.update(currency="XYZ"),
            422,
            "invalid",
            "currency",
            "Unknown currency.",
        ),
        (
            lambda b: b.update(title_zh_hans="", title_en=" ", title_de=""),
            422,
            "invalid",
            "title_en",
            "Give the product a title in at least one language.",
        ),
        (
            lambda b: b.update(skus=[]),
            422,
            "invalid",
            "skus",
            "List should have at least 1 item after validation, not 0",
        ),
    ],
    ids=[
        "negative-stock",
        "unknown-category",
        "price-not-a-number",
        "negative-price",
        "three-decimals",
        "duplicate-sku",
        "first-break-above-moq",
        "currency",
        "no-title",
        "no-skus",
    ],
)
def test_invalid_products_are_refused_with_the_field_and_nothing_is_created(
    supplier_a, category, mutate, status, code, field, message
):
    body = payload()
    mutate(body)

    response = supplier_a.api("POST", PRODUCTS, body)

    assert response.status_code == status
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert response.json()["message"] == message
    assert nothing_written()


def test_a_body_that_is_not_json_is_refused(supplier_a, category):
    response = supplier_a.client.post(
        PRODUCTS,
        b"{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {supplier_a.token}",
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "http_error",
        "message": "Cannot parse request body",
        "field": None,
    }
    assert nothing_written()


# --- update, status and images: the owner, and everyone else -------------------------------------


def test_owner_updates_a_product_and_its_ladders(supplier_a, category):
    product_id = supplier_a.api("POST", PRODUCTS, payload()).json()["id"]
    body = payload(title_en="Wine-red bowl, large")
    body["skus"] = [
        {
            "code": "BOWL-RED",
            "stock": 10,
            "moq": 1,
            "ladder": [
                {"min_quantity": 1, "unit_price": "14"},
                {"min_quantity": 10, "unit_price": "12"},
            ],
        }
    ]

    response = supplier_a.api("PUT", f"{PRODUCTS}/{product_id}", body)

    assert response.status_code == 200
    assert response.json()["title_en"] == "Wine-red bowl, large"
    assert [s["code"] for s in response.json()["skus"]] == ["BOWL-RED"]
    assert response.json()["skus"][0]["ladder"] == [
        {"min_quantity": 1, "unit_price_minor": 1400},
        {"min_quantity": 10, "unit_price_minor": 1200},
    ]
    assert (response.json()["price_min_minor"], response.json()["price_max_minor"]) == (1200, 1400)
    assert list(Sku.objects.values_list("code", flat=True)) == ["BOWL-RED"]


def test_owner_publishes_and_archives_through_the_status_endpoint(supplier_a, category):
    product_id = supplier_a.api("POST", PRODUCTS, payload()).json()["id"]

    published = supplier_a.api("POST", f"{PRODUCTS}/{product_id}/status", {"status": "published"})
    archived = supplier_a.api("POST", f"{PRODUCTS}/{product_id}/status", {"status": "archived"})
    refused = supplier_a.api("POST", f"{PRODUCTS}/{product_id}/status", {"status": "published"})

    assert (published.status_code, published.json()["status"]) == (200, "published")
    assert (archived.status_code, archived.json()["status"]) == (200, "archived")
    assert refused.status_code == 422
    assert refused.json() == {
        "code": "invalid",
        "message": "A product cannot go from Archived to Published.",
        "field": "status",
    }
    assert Product.objects.get().status == ProductStatus.ARCHIVED


def snapshot(product):
    product.refresh_from_db()
    return (
        product.title_en,
        product.status,
        product.updated_at,
        list(Sku.objects.filter(product=product).values_list("code", "stock")),
        list(
            PriceTier.objects.filter(sku__product=product).values_list(
                "min_quantity", "unit_price_minor"
            )
        ),
        product.images.count(),
    )


def test_another_suppliers_product_is_not_found_and_stays_unchanged(
    supplier_a, supplier_b, category
):
    product = make_product(supplier_a.actor, category, publish=False)
    before = snapshot(product)
    path = f"{PRODUCTS}/{product.pk}"

    responses = [
        supplier_b.api("GET", path),
        supplier_b.api("PUT", path, payload(title_en="Hijacked")),
        supplier_b.api("POST", f"{path}/status", {"status": "published"}),
        supplier_b.api("POST", f"{path}/images", {"image": jpeg_upload()}),
    ]

    for response in responses:
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "Not found.", "field": None}
    assert snapshot(product) == before
    assert Product.objects.count() == 1
    assert ProductImage.objects.count() == 0


def test_a_missing_product_id_is_not_found(supplier_a, category):
    assert supplier_a.api("PUT", f"{PRODUCTS}/999999", payload()).status_code == 404
    assert nothing_written()


def test_another_suppliers_image_cannot_be_deleted(supplier_a, supplier_b, category):
    product = make_product(supplier_a.actor, category)
    image_id = supplier_a.api(
        "POST", f"{PRODUCTS}/{product.pk}/images", {"image": jpeg_upload()}
    ).json()["id"]

    response = supplier_b.api("DELETE", f"{PRODUCTS}/{product.pk}/images/{image_id}")

    assert response.status_code == 404
    assert list(ProductImage.objects.values_list("pk", flat=True)) == [image_id]


def test_another_suppliers_products_are_not_listed(supplier_a, supplier_b, category):
    make_product(supplier_a.actor, category, title_en="A's bowl")
    make_product(supplier_b.actor, category, title_en="B's bowl")

    response = supplier_b.api("GET", PRODUCTS)

    assert response.status_code == 200
    assert [p["title"] for p in response.json()["items"]] == ["B's bowl"]


SUPPLIER_CALLS = [
    ("GET", PRODUCTS, None),
    ("POST", PRODUCTS, "payload"),
    ("GET", f"{PRODUCTS}/{{id}}", None),
    ("PUT", f"{PRODUCTS}/{{id}}", "payload"),
    ("POST", f"{PRODUCTS}/{{id}}/status", {"status": "archived"}),
    ("POST", f"{PRODUCTS}/{{id}}/images", "image"),
    ("GET", "/api/supplier/imports", None),
]


def _call(person, method, path, data, product):
    if data == "payload":
        data = payload(title_en="Changed")
    elif data == "image":
        data = {"image": jpeg_upload()}
    return person.api(method, path.format(id=product.pk), data)


@pytest.mark.parametrize(("method", "path", "data"), SUPPLIER_CALLS)
def test_a_buyer_is_forbidden_from_supplier_endpoints_and_nothing_changes(
    supplier_a, buyer_x, category, method, path, data
):
    product = make_product(supplier_a.actor, category)
    before = snapshot(product)

    response = _call(buyer_x, method, path, data, product)

    assert response.status_code == 403
    assert response.json() == {
        "code": "wrong_organization_kind",
        "message": "Switch to an organization of the right kind to do this.",
        "field": None,
    }
    assert snapshot(product) == before
    assert Product.objects.count() == 1


@pytest.mark.parametrize(("method", "path", "data"), SUPPLIER_CALLS)
def test_anonymous_callers_must_authenticate_and_nothing_changes(
    supplier_a, anonymous, category, method, path, data
):
    product = make_product(supplier_a.actor, category)
    before = snapshot(product)

    response = _call(anonymous, method, path, data, product)

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert snapshot(product) == before
    assert Product.objects.count() == 1


def test_a_wrong_token_is_unauthenticated(anonymous, category):
    anonymous.token = "not-a-real-token"
    response = anonymous.api("POST", PRODUCTS, payload())
    assert response.status_code == 401
    assert nothing_written()


# --- public reads --------------------------------------------------------------------------------


@pytest.fixture
def shelf(supplier_a, supplier_b, category):
    """Published products across a small tree, plus a draft and an archived one that never show."""
    bowls = CategoryFactory.child_of(category, slug="bowls", name_en="Bowls")
    toys = CategoryFactory(slug="toys", name_zh_hans="玩具", name_en="Toys", name_de="Spielzeug")
    belt = IndustrialBelt.objects.create(
        slug="yiwu",
        name_zh_hans="义乌",
        name_en="Yiwu",
        name_de="Yiwu",
        province="Zhejiang",
        city="Yiwu",
    )
    SupplierProfile.objects.filter(organization=supplier_b.organization).update(
        belt=belt, verification_level=1
    )
    plate = make_product(
        supplier_a.actor,
        category,
        title_zh_hans="白瓷盘",
        title_en="White porcelain plate",
        title_de="Weißer Porzellanteller",
        skus=[sku("PLATE", ladder=[(2, 1250), (100, 1100), (1000, 980)])],
    )
    bowl = make_product(
        supplier_a.actor,
        bowls,
        title_zh_hans="酒红陶瓷碗",
        title_en="Wine-red ceramic bowl",
        title_de="Weinrote Keramikschale",
        skus=[sku("BOWL", ladder=[(1, 500)], dropship_price_minor=600)],
    )
    robot = make_product(
        supplier_b.actor,
        toys,
        title_zh_hans="发条机器人",
        title_en="Wind-up robot",
        title_de="Aufziehroboter",
        skus=[sku("ROBOT", ladder=[(10, 2000), (100, 1500)])],
    )
    draft = make_product(supplier_a.actor, category, publish=False, title_en="Draft ceramic cup")
    archived = make_product(supplier_a.actor, category, title_en="Archived ceramic cup")
    product_set_status(actor=supplier_a.actor, product_id=archived.pk, status="archived")
    return {"plate": plate, "bowl": bowl, "robot": robot, "draft": draft, "archived": archived}


def listed(person, path="/api/products", **params):
    response = person.api("GET", path, params)
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["items"]]


def test_public_list_shows_only_published_products_newest_first(shelf, anonymous):
    response = anonymous.api("GET", "/api/products")
    assert response.json()["count"] == 3
    assert listed(anonymous) == ["Wind-up robot", "Wine-red ceramic bowl", "White porcelain plate"]


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({"category": "home"}, ["Wine-red ceramic bowl", "White porcelain plate"]),
        ({"category": "tableware"}, ["Wine-red ceramic bowl", "White porcelain plate"]),
        ({"category": "bowls"}, ["Wine-red ceramic bowl"]),
        ({"category": "toys"}, ["Wind-up robot"]),
        ({"price_min": "9.81"}, ["Wind-up robot"]),
        ({"price_min": "9.80"}, ["Wind-up robot", "White porcelain plate"]),
        ({"price_max": "9.80"}, ["Wine-red ceramic bowl", "White porcelain plate"]),
        ({"price_min": "5", "price_max": "10"}, ["Wine-red ceramic bowl", "White porcelain plate"]),
        ({"moq_max": 2}, ["Wine-red ceramic bowl", "White porcelain plate"]),
        ({"moq_max": 1}, ["Wine-red ceramic bowl"]),
        ({"belt": "yiwu"}, ["Wind-up robot"]),
        ({"belt": "nowhere"}, []),
        ({"verified": "true"}, ["Wind-up robot"]),
        ({"dropship": "true"}, ["Wine-red ceramic bowl"]),
        (
            {"sort": "price_asc"},
            ["Wine-red ceramic bowl", "White porcelain plate", "Wind-up robot"],
        ),
        (
            {"sort": "price_desc"},
            ["Wind-up robot", "White porcelain plate", "Wine-red ceramic bowl"],
        ),
        ({"sort": "moq_asc"}, ["Wine-red ceramic bowl", "White porcelain plate", "Wind-up robot"]),
        ({"sort": "nonsense"}, ["Wind-up robot", "Wine-red ceramic bowl", "White porcelain plate"]),
        (
            {"category": "home", "sort": "price_desc"},
            ["White porcelain plate", "Wine-red ceramic bowl"],
        ),
    ],
)
def test_public_list_filters_and_sorts(shelf, anonymous, params, titles):
    assert listed(anonymous, **params) == titles


def test_public_list_refuses_a_nonsense_price_filter(shelf, anonymous):
    response = anonymous.api("GET", "/api/products", {"price_min": "abc"})
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("invalid", "price_min")


def test_public_list_with_an_unknown_category_is_not_found(shelf, anonymous):
    response = anonymous.api("GET", "/api/products", {"category": "no-such-category"})
    assert response.status_code == 404


def test_public_list_card_shows_supplier_belt_and_verification(shelf, anonymous):
    robot = anonymous.api("GET", "/api/products", {"category": "toys"}).json()["items"][0]
    assert robot["supplier"] == {
        "slug": "supplier-b",
        "name": "supplier_b Co.",
        "verification_level": 1,
        "belt": "yiwu",
    }
    assert (robot["price_min_minor"], robot["price_max_minor"], robot["moq_min"]) == (
        1500,
        2000,
        10,
    )


def test_public_detail_of_a_published_product(shelf, anonymous):
    response = anonymous.api("GET", f"/api/products/{shelf['plate'].pk}")
    assert response.status_code == 200
    assert response.json()["title"] == "White porcelain plate"
    assert response.json()["skus"][0]["ladder"] == [
        {"min_quantity": 2, "unit_price_minor": 1250},
        {"min_quantity": 100, "unit_price_minor": 1100},
        {"min_quantity": 1000, "unit_price_minor": 980},
    ]


@pytest.mark.parametrize("which", ["draft", "archived"])
def test_public_detail_of_an_unpublished_product_is_not_found(shelf, anonymous, supplier_a, which):
    product = shelf[which]
    for person in (anonymous, supplier_a):  # not even its own supplier, on the public endpoint
        response = person.api("GET", f"/api/products/{product.pk}")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "Not found.", "field": None}
        price = person.api(
            "GET", f"/api/products/{product.pk}/price", {"sku": "BOWL-RED", "quantity": 5}
        )
        assert price.status_code == 404


def test_a_product_of_a_deactivated_supplier_is_hidden(shelf, anonymous, supplier_b):
    supplier_b.organization.is_active = False
    supplier_b.organization.save(update_fields=["is_active"])
    assert "Wind-up robot" not in listed(anonymous)
    assert anonymous.api("GET", f"/api/products/{shelf['robot'].pk}").status_code == 404


# --- price quotes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "unit", "applied", "next_quantity", "next_price", "to_next", "meets_moq"),
    [
        (2, 1250, 2, 100, 1100, 98, True),
        (99, 1250, 2, 100, 1100, 1, True),
        (100, 1100, 100, 1000, 980, 900, True),
        (150, 1100, 100, 1000, 980, 850, True),
        (1000, 980, 1000, None, None, None, True),
        (5000, 980, 1000, None, None, None, True),
    ],
)
def test_price_endpoint_returns_the_break_and_the_distance_to_the_next(
    shelf, anonymous, quantity, unit, applied, next_quantity, next_price, to_next, meets_moq
):
    response = anonymous.api(
        "GET", f"/api/products/{shelf['plate'].pk}/price", {"sku": "PLATE", "quantity": quantity}
    )
    assert response.status_code == 200
    assert response.json() == {
        "sku": "PLATE",
        "quantity": quantity,
        "currency": "CNY",
        "unit_price_minor": unit,
        "total_minor": unit * quantity,
        "applied_min_quantity": applied,
        "next_break_min_quantity": next_quantity,
        "next_break_unit_price_minor": next_price,
        "units_to_next_break": to_next,
        "meets_moq": meets_moq,
    }


def test_price_endpoint_flags_a_quantity_below_moq(supplier_a, category, anonymous):
    product = make_product(
        supplier_a.actor, category, skus=[sku("MUG", ladder=[(1, 800), (50, 700)], moq=10)]
    )
    response = anonymous.api(
        "GET", f"/api/products/{product.pk}/price", {"sku": "MUG", "quantity": 3}
    )
    assert response.status_code == 200
    assert (response.json()["unit_price_minor"], response.json()["meets_moq"]) == (800, False)
    assert response.json()["units_to_next_break"] == 47


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"sku": "PLATE", "quantity": 1}, 422, "quantity"),
        ({"sku": "PLATE", "quantity": 0}, 422, "quantity"),
        ({"sku": "PLATE", "quantity": -5}, 422, "quantity"),
        ({"sku": "PLATE", "quantity": "many"}, 422, "quantity"),
        ({"sku": "NOPE", "quantity": 10}, 404, None),
        ({"quantity": 10}, 422, "sku"),
    ],
)
def test_price_endpoint_refuses_bad_queries(shelf, anonymous, params, status, field):
    response = anonymous.api("GET", f"/api/products/{shelf['plate'].pk}/price", params)
    assert response.status_code == status
    assert response.json()["field"] == field


# --- keyword search ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("陶瓷", ["Wine-red ceramic bowl"]),
        ("机器人", ["Wind-up robot"]),
        ("ceramic", ["Wine-red ceramic bowl"]),
        ("CERAMIC bowl", ["Wine-red ceramic bowl"]),
        ("porcelain", ["White porcelain plate"]),
        ("Keramikschale", ["Wine-red ceramic bowl"]),
        ("robot ceramic", []),
        ("玩具", ["Wind-up robot"]),  # the category name matches too
        ("cup", []),  # only a draft and an archived product are called "cup"
        ("", ["Wind-up robot", "Wine-red ceramic bowl", "White porcelain plate"]),
    ],
)
def test_search_finds_published_products_by_chinese_and_english_words(
    shelf, anonymous, query, titles
):
    assert listed(anonymous, "/api/search/products", q=query) == titles


def test_search_combines_with_filters(shelf, anonymous):
    assert listed(anonymous, "/api/search/products", q="w", sort="price_asc") == [
        "Wine-red ceramic bowl",
        "White porcelain plate",
        "Wind-up robot",
    ]
    assert listed(anonymous, "/api/search/products", q="w", category="toys") == ["Wind-up robot"]
    assert listed(anonymous, "/api/search/products", q="ceramic", dropship="true") == [
        "Wine-red ceramic bowl"
    ]
