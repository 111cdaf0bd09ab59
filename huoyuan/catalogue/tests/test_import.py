"""Bulk import from CSV and XLSX: all-or-nothing by default, row-and-column errors, progress."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from huoyuan.catalogue.contracts import ImportStatus, ProductStatus
from huoyuan.catalogue.errors import ImportRejected, PermissionDenied
from huoyuan.catalogue.importing import COLUMNS, import_job_start
from huoyuan.catalogue.models import ImportJob, PriceTier, Product, Sku

pytestmark = pytest.mark.django_db

HEADER = ",".join(
    ["product_ref", "category", "title_zh_hans", "title_en", "sku_code", "attributes"]
    + ["stock", "moq", "ladder", "dropship_price"]
)
BOWL_RED = (
    "BOWL,tableware,酒红陶瓷碗,Wine-red ceramic bowl,BOWL-RED,colour=Red,300,2,"
    "2:12.50; 100:11.00; 1000:9.80,15.00"
)
BOWL_BLUE = "BOWL,,,,BOWL-BLUE,colour=Blue,40,5,5:13.00,"
PLATE = "PLATE,tableware,白瓷盘,White porcelain plate,PLATE-1,,10,1,1:8.00; 50:7.50,"
NOTHING_IMPORTED = "Nothing was imported: fix the rows listed, or choose to import the valid rows."


def csv_file(*rows, header=HEADER, name="products.csv", encoding="utf-8"):
    text = "\n".join([header, *rows]) + "\n"
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


@pytest.fixture
def run_import(django_capture_on_commit_callbacks):
    """Start an import and let its task run (it is queued on commit, then runs at once)."""

    def run(actor, upload, *, mode="all", publish=False):
        with django_capture_on_commit_callbacks(execute=True):
            job = import_job_start(actor=actor, upload=upload, mode=mode, publish=publish)
        job.refresh_from_db()
        return job

    return run


def ladders():
    return {
        s.code: list(
            s.tiers.order_by("min_quantity").values_list("min_quantity", "unit_price_minor")
        )
        for s in Sku.objects.all()
    }


def nothing_imported():
    return (Product.objects.count(), Sku.objects.count(), PriceTier.objects.count()) == (0, 0, 0)


# --- a good file ---------------------------------------------------------------------------------


def test_a_good_csv_creates_its_products_with_exact_ladders(supplier_a, category, run_import):
    job = run_import(supplier_a.actor, csv_file(BOWL_RED, BOWL_BLUE, PLATE))

    assert job.status == ImportStatus.DONE
    assert (job.total_rows, job.processed_rows, job.created_count) == (3, 3, 2)
    assert job.errors == []
    assert job.message == ""
    assert job.finished_at is not None
    assert job.original_name == "products.csv"
    bowl = Product.objects.get(title_en="Wine-red ceramic bowl")
    plate = Product.objects.get(title_en="White porcelain plate")
    assert (bowl.supplier_id, bowl.category_id, bowl.status) == (
        supplier_a.organization.pk,
        category.pk,
        ProductStatus.DRAFT,
    )
    assert bowl.title_zh_hans == "酒红陶瓷碗"
    assert list(
        bowl.skus.values_list("code", "attributes", "stock", "moq", "dropship_price_minor")
    ) == [
        ("BOWL-RED", {"colour": "Red"}, 300, 2, 1500),
        ("BOWL-BLUE", {"colour": "Blue"}, 40, 5, None),
    ]
    assert ladders() == {
        "BOWL-RED": [(2, 1250), (100, 1100), (1000, 980)],
        "BOWL-BLUE": [(5, 1300)],
        "PLATE-1": [(1, 800), (50, 750)],
    }
    assert (plate.price_min_minor, plate.price_max_minor, plate.moq_min) == (750, 800, 1)


def test_publish_publishes_every_imported_product(supplier_a, category, run_import):
    run_import(supplier_a.actor, csv_file(BOWL_RED, PLATE), publish=True)
    assert set(Product.objects.values_list("status", flat=True)) == {ProductStatus.PUBLISHED}


def test_blank_lines_are_skipped_but_counted(supplier_a, category, run_import):
    job = run_import(supplier_a.actor, csv_file(BOWL_RED, ",,,,,,,,,", "", PLATE))
    assert job.status == ImportStatus.DONE
    assert (job.total_rows, job.processed_rows, job.created_count) == (3, 3, 2)


def test_a_utf8_file_with_a_byte_order_mark_imports(supplier_a, category, run_import):
    job = run_import(supplier_a.actor, csv_file(PLATE, encoding="utf-8-sig"))
    assert (job.status, job.created_count) == (ImportStatus.DONE, 1)
    assert Product.objects.get().title_zh_hans == "白瓷盘"


def test_a_gb18030_csv_imports_with_its_chinese_text(supplier_a, category, run_import):
    upload = csv_file(BOWL_RED, BOWL_BLUE, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        upload.read().decode("utf-8")
    upload.seek(0)

    job = run_import(supplier_a.actor, upload)

    assert (job.status, job.created_count, job.errors) == (ImportStatus.DONE, 1, [])
    assert Product.objects.get().title_zh_hans == "酒红陶瓷碗"
    assert ladders()["BOWL-RED"] == [(2, 1250), (100, 1100), (1000, 980)]


def xlsx_file(rows, name="products.xlsx"):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type="application/vnd.ms-excel")


def test_a_real_xlsx_imports_with_numeric_cells(supplier_a, category, run_import):
    upload = xlsx_file(
        [
            [
                "product_ref",
                "category",
                "title_en",
                "sku_code",
                "stock",
                "moq",
                "ladder",
                "sample_price",
                "lead_time_days",
            ],
            [1001, "tableware", "Enamel mug", "MUG-W", 120, 10, "10:6.50; 100:5.90", 9.5, 7],
            [1001, None, None, "MUG-B", 80.0, 10, "10:6.80", None, None],
        ]
    )

    job = run_import(supplier_a.actor, upload)

    assert job.status == ImportStatus.DONE, job.errors or job.message
    assert (job.total_rows, job.processed_rows, job.created_count) == (2, 2, 1)
    mug = Product.objects.get()
    assert (mug.title_en, mug.lead_time_days) == ("Enamel mug", 7)
    assert list(mug.skus.values_list("code", "stock", "moq", "sample_price_minor")) == [
        ("MUG-W", 120, 10, 950),
        ("MUG-B", 80, 10, None),
    ]
    assert ladders() == {"MUG-W": [(10, 650), (100, 590)], "MUG-B": [(10, 680)]}


# --- bad rows: all-or-nothing, or the valid rows only --------------------------------------------

BAD_ROWS = {
    # The second SKU of the bowl: its ladder goes up.
    "ladder-goes-up": (
        [BOWL_RED, BOWL_BLUE.replace("5:13.00", "5:13.00; 50:13.50"), PLATE],
        {
            "row": 3,
            "field": "ladder",
            "message": "A larger quantity cannot cost more per unit than a smaller one.",
        },
        "White porcelain plate",
    ),
    "unknown-category": (
        [BOWL_RED, BOWL_BLUE, PLATE.replace("PLATE,tableware,", "PLATE,no-such-slug,")],
        {"row": 4, "field": "category", "message": "Unknown category slug."},
        "Wine-red ceramic bowl",
    ),
    "negative-stock": (
        [BOWL_RED, BOWL_BLUE.replace(",40,", ",-40,"), PLATE],
        {"row": 3, "field": "stock", "message": "Stock cannot be negative."},
        "White porcelain plate",
    ),
    "empty-stock": (
        [BOWL_RED, BOWL_BLUE.replace(",40,", ",,"), PLATE],
        {"row": 3, "field": "stock", "message": "This field is required."},
        "White porcelain plate",
    ),
    # Errors found while reading a cell name that cell's row, not the product's first row.
    "bad-price-on-a-later-row": (
        [BOWL_RED, BOWL_BLUE.replace("5:13.00", "5:abc"), PLATE],
        {"row": 3, "field": "ladder", "message": "Enter an amount such as 12.50."},
        "White porcelain plate",
    ),
    "moq-zero": (
        [BOWL_RED, BOWL_BLUE.replace(",40,5,", ",40,0,"), PLATE],
        {"row": 3, "field": "moq", "message": "Enter a whole number from 1 to 10000000."},
        "White porcelain plate",
    ),
    "stock-not-whole": (
        [BOWL_RED, BOWL_BLUE.replace(",40,", ",4.5,"), PLATE],
        {"row": 3, "field": "stock", "message": "Enter a whole number."},
        "White porcelain plate",
    ),
    "stock-infinite": (
        [BOWL_RED, BOWL_BLUE.replace(",40,", ",1" + "0" * 400 + ".0,"), PLATE],
        {"row": 3, "field": "stock", "message": "Enter a whole number."},
        "White porcelain plate",
    ),
    "break-quantity-too-big": (
        [BOWL_RED, BOWL_BLUE.replace("5:13.00", "5:13.00; 99999999999:12.00"), PLATE],
        {"row": 3, "field": "ladder", "message": "Break quantities go up to 10000000."},
        "White porcelain plate",
    ),
    "bad-attributes": (
        [BOWL_RED, BOWL_BLUE, PLATE.replace("PLATE-1,,", "PLATE-1,white,")],
        {
            "row": 4,
            "field": "attributes",
            "message": 'Write attributes as "name=value; name=value".',
        },
        "Wine-red ceramic bowl",
    ),
    "bad-sku-code": (
        [BOWL_RED, BOWL_BLUE, PLATE.replace("PLATE-1", "PLATE 1!")],
        {
            "row": 4,
            "field": "sku_code",
            "message": "SKU codes use letters, digits, dot, dash and underscore (at most 64).",
        },
        "Wine-red ceramic bowl",
    ),
    "missing-ref": (
        [BOWL_RED, BOWL_BLUE, PLATE.replace("PLATE,", ",", 1)],
        {"row": 4, "field": "product_ref", "message": "This field is required."},
        "Wine-red ceramic bowl",
    ),
}


@pytest.mark.parametrize(("rows", "error", "survivor"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_one_bad_row_imports_nothing_in_all_or_nothing_mode(
    supplier_a, category, run_import, rows, error, survivor
):
    job = run_import(supplier_a.actor, csv_file(*rows), mode="all")

    assert job.status == ImportStatus.FAILED
    assert job.errors == [error]
    assert job.message == NOTHING_IMPORTED
    assert (job.total_rows, job.processed_rows, job.created_count) == (3, 3, 0)
    assert job.finished_at is not None
    assert nothing_imported()


@pytest.mark.parametrize(("rows", "error", "survivor"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_valid_rows_mode_imports_the_good_product_and_reports_the_bad_row(
    supplier_a, category, run_import, rows, error, survivor
):
    job = run_import(supplier_a.actor, csv_file(*rows), mode="valid")

    assert job.status == ImportStatus.DONE
    assert job.errors == [error]
    assert (job.total_rows, job.processed_rows, job.created_count) == (3, 3, 1)
    assert list(Product.objects.values_list("title_en", flat=True)) == [survivor]


def test_every_bad_row_is_reported_in_row_order(supplier_a, category, run_import):
    rows = [
        BOWL_RED,
        BOWL_BLUE.replace(",40,", ",-1,"),
        PLATE.replace("PLATE,tableware,", "PLATE,nowhere,"),
        "CUP,tableware,,Cup,CUP-1,,5,1,1:3.00,",
    ]
    job = run_import(supplier_a.actor, csv_file(*rows), mode="valid")

    assert [(e["row"], e["field"]) for e in job.errors] == [(3, "stock"), (4, "category")]
    assert list(Product.objects.values_list("title_en", flat=True)) == ["Cup"]


# --- files that are not what they claim ----------------------------------------------------------


def assert_failed_file(job, message):
    assert job.status == ImportStatus.FAILED
    assert job.message == message
    assert (job.total_rows, job.processed_rows, job.created_count) == (0, 0, 0)
    assert job.errors == []
    assert job.finished_at is not None
    assert nothing_imported()


def test_unbalanced_quotes_fail_the_file_instead_of_swallowing_rows(
    supplier_a, category, run_import
):
    # Without strict parsing, the open quote would eat the plate's row into one cell.
    broken = BOWL_RED.replace(",BOWL-RED,", ',"BOWL-RED,')
    job = run_import(supplier_a.actor, csv_file(broken, PLATE), mode="valid")
    assert_failed_file(job, "The CSV is malformed: unexpected end of data")


def test_a_row_with_more_cells_than_the_header_fails_the_file(supplier_a, category, run_import):
    job = run_import(supplier_a.actor, csv_file(BOWL_RED, PLATE + ",extra"), mode="valid")
    assert_failed_file(job, "Row 3 has more cells than the header.")


def test_an_unknown_column_fails_the_file(supplier_a, category, run_import):
    job = run_import(supplier_a.actor, csv_file(BOWL_RED + ",x", header=HEADER + ",colour"))
    assert_failed_file(job, f"Unknown column colour; the columns are: {', '.join(COLUMNS)}")


def test_a_missing_required_column_fails_the_file(supplier_a, category, run_import):
    header = HEADER.replace(",ladder", "")
    row = BOWL_RED.replace(",2:12.50; 100:11.00; 1000:9.80", "")
    job = run_import(supplier_a.actor, csv_file(row, header=header))
    assert_failed_file(job, "Missing column ladder.")


def test_binary_garbage_named_csv_fails_the_file(supplier_a, category, run_import):
    garbage = SimpleUploadedFile("products.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00")
    job = run_import(supplier_a.actor, garbage)
    assert_failed_file(job, "Save the CSV as UTF-8.")


def test_a_file_with_nul_bytes_fails_the_file(supplier_a, category, run_import):
    garbage = SimpleUploadedFile("products.csv", f"{HEADER}\n".encode() + b"\x00\x01\x02 binary\n")
    job = run_import(supplier_a.actor, garbage)
    assert_failed_file(job, "This is not a text CSV file.")


def test_undecodable_bytes_fail_the_file(supplier_a, category, run_import):
    garbage = SimpleUploadedFile("products.csv", b"product_ref,sku_code\n\x81\x30\xff\xff\n")
    job = run_import(supplier_a.actor, garbage)
    assert_failed_file(job, "Save the CSV as UTF-8.")


def test_a_zip_that_is_not_a_workbook_fails_the_file(supplier_a, category, run_import):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    job = run_import(supplier_a.actor, SimpleUploadedFile("products.xlsx", out.getvalue()))
    assert_failed_file(job, "This is not a readable XLSX workbook.")


def test_an_xlsx_with_an_unknown_column_fails_the_file(supplier_a, category, run_import):
    upload = xlsx_file(
        [["product_ref", "sku_code", "stock", "ladder", "price"], ["A", "A-1", 1, "1:1", 2]]
    )
    job = run_import(supplier_a.actor, upload)
    assert job.status == ImportStatus.FAILED
    assert job.message.startswith("Unknown column price; the columns are: product_ref, category")


@pytest.mark.parametrize(
    ("upload", "field", "message"),
    [
        (
            SimpleUploadedFile("products.txt", f"{HEADER}\n{PLATE}\n".encode()),
            "file",
            "Upload a .csv or .xlsx file.",
        ),
        (SimpleUploadedFile("products.json", b"[]"), "file", "Upload a .csv or .xlsx file."),
        (
            SimpleUploadedFile("products", f"{HEADER}\n".encode()),
            "file",
            "Upload a .csv or .xlsx file.",
        ),
        (
            SimpleUploadedFile("products.xlsx", f"{HEADER}\n{PLATE}\n".encode()),
            "file",
            "This is not a readable XLSX workbook.",
        ),
    ],
    ids=["txt", "json", "no-extension", "xlsx-that-is-text"],
)
def test_files_of_the_wrong_kind_are_refused_before_a_job_exists(
    supplier_a, category, upload, field, message
):
    with pytest.raises(ImportRejected) as caught:
        import_job_start(actor=supplier_a.actor, upload=upload, mode="all", publish=False)
    assert (caught.value.field, str(caught.value.message)) == (field, message)
    assert ImportJob.objects.count() == 0
    assert nothing_imported()


def test_an_oversized_file_is_refused(supplier_a, category, settings):
    settings.MAX_IMPORT_BYTES = 2**20
    upload = csv_file(*[PLATE.replace("PLATE", f"P{i}") for i in range(20_000)])
    assert upload.size > 2**20
    with pytest.raises(ImportRejected) as caught:
        import_job_start(actor=supplier_a.actor, upload=upload, mode="all", publish=False)
    assert (caught.value.field, str(caught.value.message)) == (
        "file",
        "Import files may be at most 1 MB.",
    )
    assert ImportJob.objects.count() == 0


def test_an_unknown_mode_is_refused(supplier_a, category):
    with pytest.raises(ImportRejected) as caught:
        import_job_start(actor=supplier_a.actor, upload=csv_file(PLATE), mode="some", publish=False)
    assert (caught.value.field, str(caught.value.message)) == (
        "mode",
        "Choose how to treat bad rows.",
    )
    assert ImportJob.objects.count() == 0


def test_a_buyer_cannot_import(buyer_x, category):
    with pytest.raises(PermissionDenied):
        import_job_start(actor=buyer_x.actor, upload=csv_file(PLATE), mode="all", publish=False)
    assert ImportJob.objects.count() == 0
    assert nothing_imported()


# --- through the API -----------------------------------------------------------------------------


def api_import(person, upload, capture, **fields):
    with capture(execute=True):
        return person.api("POST", "/api/supplier/imports", {"file": upload, **fields})


def test_api_import_runs_and_reports_progress(
    supplier_a, category, django_capture_on_commit_callbacks
):
    started = api_import(
        supplier_a, csv_file(BOWL_RED, BOWL_BLUE, PLATE), django_capture_on_commit_callbacks
    )

    assert started.status_code == 202
    job_id = started.json()["id"]
    assert (started.json()["status"], started.json()["mode"]) == ("queued", "all")
    finished = supplier_a.api("GET", f"/api/supplier/imports/{job_id}")
    assert finished.status_code == 200
    body = finished.json()
    assert (body["status"], body["total_rows"], body["processed_rows"], body["created_count"]) == (
        "done",
        3,
        3,
        2,
    )
    assert body["errors"] == []
    assert body["original_name"] == "products.csv"
    assert supplier_a.api("GET", "/api/supplier/imports").json()["count"] == 1
    assert Product.objects.count() == 2


def test_api_import_in_valid_rows_mode(supplier_a, category, django_capture_on_commit_callbacks):
    rows, error, survivor = BAD_ROWS["ladder-goes-up"]
    started = api_import(
        supplier_a,
        csv_file(*rows),
        django_capture_on_commit_callbacks,
        mode="valid",
        publish="true",
    )

    body = supplier_a.api("GET", f"/api/supplier/imports/{started.json()['id']}").json()
    assert (body["status"], body["mode"], body["created_count"], body["errors"]) == (
        "done",
        "valid",
        1,
        [error],
    )
    assert list(Product.objects.values_list("title_en", "status")) == [(survivor, "published")]


def test_api_import_of_a_bad_file_fails_with_nothing_imported(
    supplier_a, category, django_capture_on_commit_callbacks
):
    rows, error, _survivor = BAD_ROWS["unknown-category"]
    started = api_import(supplier_a, csv_file(*rows), django_capture_on_commit_callbacks)

    body = supplier_a.api("GET", f"/api/supplier/imports/{started.json()['id']}").json()
    assert (body["status"], body["errors"], body["message"]) == (
        "failed",
        [error],
        NOTHING_IMPORTED,
    )
    assert nothing_imported()


def test_api_refuses_a_wrong_file_kind_with_422(
    supplier_a, category, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("products.xlsx", f"{HEADER}\n{PLATE}\n".encode())
    response = api_import(supplier_a, upload, django_capture_on_commit_callbacks)

    assert response.status_code == 422
    assert response.json() == {
        "code": "import_rejected",
        "message": "This is not a readable XLSX workbook.",
        "field": "file",
    }
    assert ImportJob.objects.count() == 0


def test_api_import_is_forbidden_to_buyers_and_anonymous(
    buyer_x, anonymous, category, django_capture_on_commit_callbacks
):
    assert (
        api_import(buyer_x, csv_file(PLATE), django_capture_on_commit_callbacks).status_code == 403
    )
    assert (
        api_import(anonymous, csv_file(PLATE), django_capture_on_commit_callbacks).status_code
        == 401
    )
    assert ImportJob.objects.count() == 0
    assert nothing_imported()


def test_another_suppliers_import_is_not_found(supplier_a, supplier_b, category, run_import):
    job = run_import(supplier_a.actor, csv_file(PLATE))

    assert supplier_b.api("GET", f"/api/supplier/imports/{job.pk}").status_code == 404
    assert supplier_b.api("GET", "/api/supplier/imports").json() == {"items": [], "count": 0}


# --- through the workbench pages -----------------------------------------------------------------


def test_workbench_imports_page_lists_the_columns(supplier_a):
    response = supplier_a.client.get("/workbench/imports/")
    assert response.status_code == 200
    assert ", ".join(COLUMNS) in response.content.decode()


def test_workbench_import_runs_and_shows_the_result(
    supplier_a, category, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = supplier_a.client.post(
            "/workbench/imports/", {"file": csv_file(BOWL_RED, BOWL_BLUE, PLATE), "mode": "all"}
        )

    job = ImportJob.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/workbench/imports/{job.pk}/")
    page = supplier_a.client.get(response["Location"]).content.decode()
    assert "3 of 3 rows checked" in page
    assert "2 products created." in page
    assert Product.objects.count() == 2


def test_workbench_import_page_shows_bad_rows_with_row_and_column(
    supplier_a, category, django_capture_on_commit_callbacks
):
    rows, _error, _survivor = BAD_ROWS["negative-stock"]
    with django_capture_on_commit_callbacks(execute=True):
        response = supplier_a.client.post(
            "/workbench/imports/", {"file": csv_file(*rows), "mode": "all"}
        )

    page = supplier_a.client.get(response["Location"]).content.decode()
    assert NOTHING_IMPORTED in page
    assert "<tr><td>3</td><td>stock</td><td>Stock cannot be negative.</td></tr>" in page
    partial = supplier_a.client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert partial.startswith('<div id="import-progress">')
    assert "<html" not in partial
    assert nothing_imported()


def test_workbench_import_shows_a_wrong_file_next_to_the_field(supplier_a, category):
    upload = SimpleUploadedFile("products.xlsx", b"not a zip")
    response = supplier_a.client.post("/workbench/imports/", {"file": upload, "mode": "all"})

    assert response.status_code == 200
    html = response.content.decode()
    assert '<p class="error" role="alert">This is not a readable XLSX workbook.</p>' in html
    assert ImportJob.objects.count() == 0


def test_workbench_import_of_another_supplier_is_not_found(
    supplier_a, supplier_b, category, run_import
):
    job = run_import(supplier_a.actor, csv_file(PLATE))
    assert supplier_b.client.get(f"/workbench/imports/{job.pk}/").status_code == 404


def test_workbench_imports_are_for_suppliers_only(buyer_x, anonymous, category):
    assert buyer_x.client.get("/workbench/imports/").status_code == 404
    response = buyer_x.client.post("/workbench/imports/", {"file": csv_file(PLATE), "mode": "all"})
    assert response.status_code == 404
    anonymous_response = anonymous.client.get("/workbench/imports/")
    assert anonymous_response.status_code == 302
    assert anonymous_response["Location"].startswith("/accounts/login/")
    assert ImportJob.objects.count() == 0


def test_api_import_refuses_an_unknown_mode(
    supplier_a, category, django_capture_on_commit_callbacks
):
    started = api_import(
        supplier_a, csv_file(PLATE), django_capture_on_commit_callbacks, mode="sometimes"
    )
    assert started.status_code == 422
    assert started.json()["field"] == "mode"
    assert ImportJob.objects.count() == 0
