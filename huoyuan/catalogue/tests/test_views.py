"""Catalogue pages: category listing, product page and quote, the supplier workbench form."""

import re

import pytest
from django.utils.html import escape

from huoyuan.catalogue.contracts import ProductStatus
from huoyuan.catalogue.models import PriceTier, Product, Sku
from huoyuan.catalogue.tests.factories import CategoryFactory, make_product, sku
from huoyuan.suppliers.models import IndustrialBelt, SupplierProfile

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
CARD_TITLE = re.compile(r"<h3>(.*?)</h3>")
APPLIED_ROW = re.compile(r'<tr class="applied" aria-current="true">\s*<td>≥ (\d+)</td>')


def card_titles(response):
    assert response.status_code == 200
    return CARD_TITLE.findall(response.content.decode())


# --- category page -------------------------------------------------------------------------------


@pytest.fixture
def shelf(supplier_a, supplier_b, category):
    bowls = CategoryFactory.child_of(category, slug="bowls", name_en="Bowls")
    belt = IndustrialBelt.objects.create(
        slug="dehua",
        name_zh_hans="德化",
        name_en="Dehua ceramics",
        name_de="Dehua",
        province="Fujian",
        city="Dehua",
    )
    SupplierProfile.objects.filter(organization=supplier_b.organization).update(
        belt=belt, verification_level=2
    )
    make_product(
        supplier_a.actor,
        category,
        title_en="Plate",
        skus=[sku("PLATE", ladder=[(2, 1250), (100, 1100)])],
    )
    make_product(
        supplier_a.actor,
        bowls,
        title_en="Bowl",
        skus=[sku("BOWL", ladder=[(1, 500)], dropship_price_minor=650)],
    )
    make_product(
        supplier_b.actor,
        category,
        title_en="Teapot",
        skus=[sku("POT", ladder=[(10, 3000), (50, 2800)])],
    )
    make_product(supplier_a.actor, category, publish=False, title_en="Draft cup")
    return bowls


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ({}, ["Teapot", "Bowl", "Plate"]),
        ({"price_min": "10"}, ["Teapot", "Plate"]),
        ({"price_max": "11.00"}, ["Bowl", "Plate"]),
        ({"moq_max": "2"}, ["Bowl", "Plate"]),
        ({"dropship": "1"}, ["Bowl"]),
        ({"verified": "1"}, ["Teapot"]),
        ({"belt": "dehua"}, ["Teapot"]),
        ({"sort": "price_asc"}, ["Bowl", "Plate", "Teapot"]),
        ({"sort": "price_desc"}, ["Teapot", "Plate", "Bowl"]),
        ({"sort": "moq_asc"}, ["Bowl", "Plate", "Teapot"]),
        ({"price_max": "11", "sort": "price_desc"}, ["Plate", "Bowl"]),
        # Nonsense is ignored rather than an error page.
        ({"price_min": "abc", "moq_max": "-3", "sort": "evil"}, ["Teapot", "Bowl", "Plate"]),
    ],
)
def test_category_page_filters_and_sorts_its_subtree(shelf, anonymous, query, titles):
    response = anonymous.client.get("/c/home/", query)
    assert card_titles(response) == titles
    assert f"{len(titles)} product" in response.content.decode()


def test_category_page_of_a_leaf_shows_only_that_leaf(shelf, anonymous):
    assert card_titles(anonymous.client.get("/c/bowls/")) == ["Bowl"]


def test_category_page_links_children_and_ancestors(shelf, anonymous):
    html = anonymous.client.get("/c/tableware/").content.decode()
    assert '<a class="tag" href="/c/bowls/">Bowls</a>' in html
    assert '<a href="/c/home/">Home &amp; Living</a>' in html


def test_unknown_category_is_a_404(anonymous, category):
    assert anonymous.client.get("/c/no-such-category/").status_code == 404


def test_category_page_paginates_and_keeps_filters_in_the_links(supplier_a, category, anonymous):
    for n in range(25):
        make_product(supplier_a.actor, category, title_en=f"Item {n:02d}", skus=[sku(f"S{n}")])

    first = anonymous.client.get("/c/tableware/", {"price_max": "20"})
    second = anonymous.client.get("/c/tableware/", {"price_max": "20", "page": "2"})
    past_the_end = anonymous.client.get("/c/tableware/", {"page": "99"})
    garbage = anonymous.client.get("/c/tableware/", {"page": "abc"})

    first_titles = card_titles(first)
    assert len(first_titles) == 24
    assert first_titles[0] == "Item 24"
    assert card_titles(second) == ["Item 00"]
    assert card_titles(past_the_end) == ["Item 00"]
    assert card_titles(garbage) == first_titles
    first_html = first.content.decode()
    assert "Page 1 of 2" in first_html
    assert "25 products" in first_html
    assert '<a href="?price_max=20&amp;page=2" rel="next">' in first_html
    assert 'rel="prev"' not in first_html
    second_html = second.content.decode()
    assert '<a href="?price_max=20&amp;page=1" rel="prev">' in second_html
    assert 'rel="next"' not in second_html


# --- product page and the quote ------------------------------------------------------------------


@pytest.fixture
def bowl(supplier_a, category):
    return make_product(
        supplier_a.actor,
        category,
        skus=[
            sku("BOWL-RED", ladder=[(2, 1250), (100, 1100), (1000, 980)], stock=500),
            sku("BOWL-BLUE", ladder=[(5, 1300), (50, 1200)], attributes={"colour": "Blue"}),
        ],
    )


@pytest.mark.parametrize(
    ("query", "applied", "unit", "total"),
    [
        ({}, "2", "¥12.50", "¥25.00"),
        ({"sku": "BOWL-RED", "quantity": "99"}, "2", "¥12.50", "¥1,237.50"),
        ({"sku": "BOWL-RED", "quantity": "150"}, "100", "¥11.00", "¥1,650.00"),
        ({"sku": "BOWL-RED", "quantity": "1000"}, "1000", "¥9.80", "¥9,800.00"),
        ({"sku": "BOWL-BLUE", "quantity": "60"}, "50", "¥12.00", "¥720.00"),
    ],
)
def test_product_page_highlights_the_applied_break(bowl, anonymous, query, applied, unit, total):
    response = anonymous.client.get(f"/p/{bowl.pk}/", query)

    assert response.status_code == 200
    html = response.content.decode()
    assert APPLIED_ROW.findall(html) == [applied]
    assert f'<strong data-testid="unit-price"><span class="price">{unit}</span></strong>' in html
    assert f'<strong data-testid="total"><span class="price">{total}</span></strong>' in html


def test_product_page_says_how_far_the_next_break_is(bowl, anonymous):
    html = anonymous.client.get(f"/p/{bowl.pk}/", {"sku": "BOWL-RED", "quantity": "150"}).content
    assert "Add 850 more to reach the 1000+ price:" in html.decode()


def test_product_page_warns_below_moq_and_over_stock(bowl, anonymous):
    below = anonymous.client.get(f"/p/{bowl.pk}/", {"sku": "BOWL-BLUE", "quantity": "3"})
    over = anonymous.client.get(f"/p/{bowl.pk}/", {"sku": "BOWL-RED", "quantity": "501"})

    below_html = below.content.decode()
    assert "The minimum order for this variant is 5." in below_html
    assert APPLIED_ROW.findall(below_html) == []
    assert "Only 500 in stock." in over.content.decode()


def test_htmx_request_gets_only_the_quote_partial(bowl, anonymous):
    response = anonymous.client.get(
        f"/p/{bowl.pk}/", {"sku": "BOWL-RED", "quantity": "150"}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('\n<table class="ladder"')
    assert "<html" not in html
    assert "<h1>" not in html
    assert APPLIED_ROW.findall(html) == ["100"]


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_product_page_of_an_unpublished_product_is_a_404(supplier_a, category, anonymous, status):
    product = make_product(supplier_a.actor, category, publish=False)
    Product.objects.filter(pk=product.pk).update(status=status)
    assert anonymous.client.get(f"/p/{product.pk}/").status_code == 404
    assert supplier_a.client.get(f"/p/{product.pk}/").status_code == 404


# --- escaping ------------------------------------------------------------------------------------


@pytest.fixture
def hostile(supplier_a, category):
    return make_product(
        supplier_a.actor,
        category,
        title_zh_hans=XSS,
        title_en=XSS,
        title_de=XSS,
        description_en='<img src=x onerror="alert(2)">',
        attributes={"<b>material</b>": "<i>clay</i>"},
        skus=[sku("XSS-1", attributes={"colour": "<svg onload=alert(3)>"})],
    )


def assert_escaped(response):
    assert response.status_code == 200
    html = response.content.decode()
    assert XSS not in html
    assert XSS_ESCAPED in html
    return html


def test_product_page_escapes_supplier_text(hostile, anonymous):
    html = assert_escaped(anonymous.client.get(f"/p/{hostile.pk}/"))
    assert f"<title>{XSS_ESCAPED} ·" in html
    assert '<img src=x onerror="alert(2)">' not in html
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html
    assert "<b>material</b>" not in html
    assert "<i>clay</i>" not in html
    assert "<svg onload=alert(3)>" not in html


def test_category_page_escapes_titles(hostile, anonymous):
    html = assert_escaped(anonymous.client.get("/c/tableware/"))
    assert f"<h3>{XSS_ESCAPED}</h3>" in html


def test_search_page_escapes_titles_and_the_query(hostile, anonymous):
    assert_escaped(anonymous.client.get("/search/", {"q": "alert"}))
    html = assert_escaped(anonymous.client.get("/search/", {"q": XSS}))
    assert f"Results for “{XSS_ESCAPED}”" in html


def test_workbench_pages_escape_titles(hostile, supplier_a):
    listing = assert_escaped(supplier_a.client.get("/workbench/products/"))
    assert f">{XSS_ESCAPED}</a>" in listing
    edit = assert_escaped(supplier_a.client.get(f"/workbench/products/{hostile.pk}/"))
    assert f'value="{XSS_ESCAPED}"' in edit


# --- workbench: create and edit through the form and its SKU formset -----------------------------


def form_data(category, skus, **fields):
    data = {
        "category": str(category.pk),
        "title_zh_hans": "酒红陶瓷碗",
        "title_en": "Wine-red ceramic bowl",
        "title_de": "",
        "description_zh_hans": "",
        "description_en": "Stoneware.",
        "description_de": "",
        "currency": "CNY",
        "mixed_batch_moq": "",
        "lead_time_days": "4",
        "weight_g": "420",
        "length_mm": "",
        "width_mm": "",
        "height_mm": "",
        "sku-TOTAL_FORMS": str(len(skus)),
        "sku-INITIAL_FORMS": "0",
        "sku-MIN_NUM_FORMS": "1",
        "sku-MAX_NUM_FORMS": "100",
    }
    for index, row in enumerate(skus):
        for name, value in row.items():
            data[f"sku-{index}-{name}"] = value
    data.update(fields)
    return data


RED = {
    "code": "BOWL-RED",
    "attributes": "colour=Red; size=M",
    "stock": "300",
    "moq": "2",
    "q1": "2",
    "p1": "12.50",
    "q2": "100",
    "p2": "11",
    "q3": "1000",
    "p3": "9.80",
    "dropship_price": "15",
    "sample_price": "",
}
BLUE = {
    "code": "BOWL-BLUE",
    "attributes": "colour=Blue",
    "stock": "40",
    "moq": "5",
    "q1": "5",
    "p1": "13.00",
}


def ladders(product):
    return {
        s.code: list(s.tiers.values_list("min_quantity", "unit_price_minor"))
        for s in product.skus.order_by("position")
    }


def test_supplier_creates_a_product_with_two_skus_and_a_three_break_ladder(supplier_a, category):
    response = supplier_a.client.post("/workbench/products/new/", form_data(category, [RED, BLUE]))

    product = Product.objects.get()
    assert (response.status_code, response["Location"]) == (
        302,
        f"/workbench/products/{product.pk}/",
    )
    assert (product.supplier_id, product.status, product.title_en) == (
        supplier_a.organization.pk,
        ProductStatus.DRAFT,
        "Wine-red ceramic bowl",
    )
    assert (product.lead_time_days, product.weight_g, product.description_en) == (
        4,
        420,
        "Stoneware.",
    )
    assert ladders(product) == {
        "BOWL-RED": [(2, 1250), (100, 1100), (1000, 980)],
        "BOWL-BLUE": [(5, 1300)],
    }
    assert list(
        product.skus.values_list("code", "attributes", "stock", "moq", "dropship_price_minor")
    ) == [
        ("BOWL-RED", {"colour": "Red", "size": "M"}, 300, 2, 1500),
        ("BOWL-BLUE", {"colour": "Blue"}, 40, 5, None),
    ]
    page = supplier_a.client.get(response["Location"]).content.decode()
    assert "Product saved." in page


def test_create_with_publish_publishes(supplier_a, category):
    supplier_a.client.post("/workbench/products/new/", form_data(category, [RED], publish="on"))
    product = Product.objects.get()
    assert product.status == ProductStatus.PUBLISHED
    assert product.published_at is not None


def test_a_ladder_that_goes_up_is_shown_next_to_the_offending_break(supplier_a, category):
    going_up = {**RED, "p3": "13.00"}

    response = supplier_a.client.post(
        "/workbench/products/new/", form_data(category, [BLUE, going_up])
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert (
        '<ul class="errorlist" id="id_sku-1-q3_error"><li>'
        "A larger quantity cannot cost more per unit than a smaller one.</li></ul>"
    ) in html
    assert html.count('class="errorlist"') == 1
    assert 'value="13.00"' in html  # what the supplier typed is kept
    assert (Product.objects.count(), Sku.objects.count(), PriceTier.objects.count()) == (0, 0, 0)


def test_quantities_that_do_not_rise_are_shown_next_to_that_break(supplier_a, category):
    flat = {**RED, "q2": "2"}
    html = supplier_a.client.post(
        "/workbench/products/new/", form_data(category, [flat])
    ).content.decode()
    assert (
        '<ul class="errorlist" id="id_sku-0-q2_error"><li>'
        "Each break must be for more units than the one before.</li></ul>"
    ) in html
    assert Product.objects.count() == 0


def test_a_break_with_a_gap_before_it_is_still_pointed_at(supplier_a, category):
    # Break 2 is left empty; the service sees breaks 1, 3, 4 and complains about its third.
    gappy = {**BLUE, "q2": "", "p2": "", "q3": "50", "p3": "12.00", "q4": "100", "p4": "12.50"}
    html = supplier_a.client.post(
        "/workbench/products/new/", form_data(category, [gappy])
    ).content.decode()
    assert 'id="id_sku-0-q4_error"' in html
    assert Product.objects.count() == 0


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({**RED, "p2": "abc"}, "p2", "Enter an amount such as 12.50."),
        ({**RED, "p2": "11.005"}, "p2", "Use at most 2 decimal places."),
        ({**RED, "p2": ""}, "p2", "Give both the quantity and the price."),
        ({**RED, "stock": "-1"}, "stock", "Ensure this value is greater than or equal to 0."),
        ({**RED, "attributes": "Red"}, "attributes", 'Write variants as "colour=Black; size=M".'),
        (
            {**RED, "code": "bad code!"},
            "code",
            "SKU codes use letters, digits, dot, dash and underscore (at most 64).",
        ),
        ({**RED, "moq": "1"}, "q1", "The first break (2) must not be above the MOQ (1)."),
    ],
)
def test_sku_errors_are_shown_next_to_their_field(supplier_a, category, row, field, message):
    html = supplier_a.client.post(
        "/workbench/products/new/", form_data(category, [row])
    ).content.decode()
    assert (
        f'<ul class="errorlist" id="id_sku-0-{field}_error"><li>{escape(message)}</li></ul>' in html
    )
    assert Product.objects.count() == 0


def test_product_errors_are_shown_next_to_their_field(supplier_a, category):
    data = form_data(category, [RED], title_zh_hans="", title_en="", title_de="")
    html = supplier_a.client.post("/workbench/products/new/", data).content.decode()
    assert (
        '<p class="error" role="alert">Give the product a title in at least one language.</p>'
        in html
    )
    assert Product.objects.count() == 0


def test_add_a_sku_row_adds_an_empty_row_and_saves_nothing(supplier_a, category):
    response = supplier_a.client.post(
        "/workbench/products/new/", form_data(category, [RED], add_sku="1")
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="sku-TOTAL_FORMS" value="2"' in html
    assert 'name="sku-1-code"' in html
    assert 'value="BOWL-RED"' in html
    assert 'class="errorlist"' not in html
    assert Product.objects.count() == 0


def test_an_added_row_left_empty_is_ignored_on_save(supplier_a, category):
    data = form_data(category, [RED, {"moq": "1"}])
    response = supplier_a.client.post("/workbench/products/new/", data)
    assert response.status_code == 302
    assert list(Sku.objects.values_list("code", flat=True)) == ["BOWL-RED"]


def test_edit_form_shows_the_product_and_saves_changes(supplier_a, category):
    product = make_product(supplier_a.actor, category, publish=False)

    page = supplier_a.client.get(f"/workbench/products/{product.pk}/").content.decode()
    assert 'name="sku-TOTAL_FORMS" value="2"' in page
    assert 'name="sku-0-p3" value="9.80"' in page
    assert 'name="sku-INITIAL_FORMS" value="2"' in page

    data = form_data(
        category,
        [{**RED, "p1": "12.00", "stock": "7"}, BLUE],
        title_en="Bowl, restocked",
        **{"sku-INITIAL_FORMS": "2"},
    )
    response = supplier_a.client.post(f"/workbench/products/{product.pk}/", data)

    assert response.status_code == 302
    product.refresh_from_db()
    assert product.title_en == "Bowl, restocked"
    assert ladders(product) == {
        "BOWL-RED": [(2, 1200), (100, 1100), (1000, 980)],
        "BOWL-BLUE": [(5, 1300)],
    }
    assert product.skus.get(code="BOWL-RED").stock == 7
    assert Product.objects.count() == 1


def snapshot(product):
    product.refresh_from_db()
    return (
        product.title_en,
        product.status,
        product.updated_at,
        list(
            PriceTier.objects.filter(sku__product=product).values_list(
                "min_quantity", "unit_price_minor"
            )
        ),
    )


def test_another_suppliers_product_edit_page_is_a_404_and_nothing_changes(
    supplier_a, supplier_b, category
):
    product = make_product(supplier_a.actor, category)
    before = snapshot(product)
    url = f"/workbench/products/{product.pk}/"

    assert supplier_b.client.get(url).status_code == 404
    assert (
        supplier_b.client.post(url, form_data(category, [RED], title_en="Hijacked")).status_code
        == 404
    )
    assert supplier_b.client.post(f"{url}status/", {"status": "archived"}).status_code == 404

    assert snapshot(product) == before
    assert Product.objects.count() == 1


def test_workbench_is_for_suppliers_only(supplier_a, buyer_x, anonymous, category):
    product = make_product(supplier_a.actor, category)
    before = snapshot(product)

    assert buyer_x.client.get("/workbench/products/").status_code == 404
    assert (
        buyer_x.client.post("/workbench/products/new/", form_data(category, [RED])).status_code
        == 404
    )
    assert (
        buyer_x.client.post(
            f"/workbench/products/{product.pk}/status/", {"status": "archived"}
        ).status_code
        == 404
    )
    login = anonymous.client.get("/workbench/products/new/")
    assert (login.status_code, login["Location"]) == (
        302,
        "/accounts/login/?next=/workbench/products/new/",
    )
    assert snapshot(product) == before
    assert Product.objects.count() == 1


def test_workbench_list_shows_only_own_products(supplier_a, supplier_b, category):
    make_product(supplier_a.actor, category, title_en="A's bowl")
    make_product(supplier_b.actor, category, title_en="B's bowl")
    html = supplier_b.client.get("/workbench/products/").content.decode()
    assert "B&#x27;s bowl" in html
    assert "A&#x27;s bowl" not in html


def test_specifications_are_entered_one_per_line_and_shown_on_the_product_page(
    supplier_a, category, anonymous
):
    data = form_data(
        category, [RED], attributes="Material=Stoneware\n容量＝350ml\n\n", publish="on"
    )
    response = supplier_a.client.post("/workbench/products/new/", data)
    product = Product.objects.get()
    assert response.status_code == 302
    assert product.attributes == {"Material": "Stoneware", "容量": "350ml"}
    edit = supplier_a.client.get(f"/workbench/products/{product.pk}/").content.decode()
    assert "Material=Stoneware\n容量=350ml</textarea>" in edit
    page = anonymous.client.get(f"/p/{product.pk}/").content.decode()
    assert "<dt>Material</dt><dd>Stoneware</dd>" in page


def test_a_specification_without_a_value_is_refused_next_to_the_field(supplier_a, category):
    response = supplier_a.client.post(
        "/workbench/products/new/", form_data(category, [RED], attributes="Material")
    )
    assert response.status_code == 200
    assert (
        "Write one specification per line as &quot;name=value&quot;." in response.content.decode()
    )
    assert not Product.objects.exists()
