"""Bulk product import from CSV or XLSX: one row per SKU, rows grouped into products.

Columns (header names, any order; unknown columns are an error so typos do not pass silently):
  product_ref   the supplier's own key; rows with the same ref form one product (required)
  category      category slug (required on the product's first row)
  title_zh_hans, title_en, title_de, description_zh_hans, description_en, description_de
  lead_time_days, mixed_batch_moq, weight_g, currency
  sku_code      (required)   attributes  e.g. "colour=Black; size=M"
  stock, moq    whole numbers
  ladder        price breaks "min_quantity:price", e.g. "2:12.50; 100:11.00"
  dropship_price, sample_price
A file with any bad row imports nothing, unless the supplier chose to import the valid rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huoyuan.accounts.contracts import Actor
from huoyuan.catalogue.contracts import (
    ImportMode,
    ImportStatus,
    PriceBreak,
    ProductInput,
    SkuInput,
)
from huoyuan.catalogue.errors import ImportRejected, PermissionDenied
from huoyuan.catalogue.models import Category, ImportJob
from huoyuan.catalogue.services import product_create, product_input_validate
from huoyuan.catalogue.textformats import PairsMalformed, parse_pairs
from huoyuan.core.errors import DomainError
from huoyuan.core.money import parse_amount

COLUMNS = [
    "product_ref",
    "category",
    "title_zh_hans",
    "title_en",
    "title_de",
    "description_zh_hans",
    "description_en",
    "description_de",
    "lead_time_days",
    "mixed_batch_moq",
    "weight_g",
    "currency",
    "sku_code",
    "attributes",
    "stock",
    "moq",
    "ladder",
    "dropship_price",
    "sample_price",
]
REQUIRED = {"product_ref", "sku_code", "stock", "ladder"}
MAX_ROWS = 50_000
PROGRESS_EVERY = 200


@dataclass
class RowError:
    row: int
    field: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class ProductGroup:
    ref: str
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def _read_rows(data: bytes, name: str) -> Iterator[dict[str, str]]:
    if name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        except Exception as exc:  # openpyxl raises many kinds on a bad file
            raise ImportRejected(_("This is not a readable XLSX workbook."), field="file") from exc
        if sheet is None:
            raise ImportRejected(_("The workbook has no sheet."), field="file")
        rows = sheet.iter_rows(values_only=True)
        header = [str(c or "").strip() for c in next(rows, ())]
        _check_header(header)
        for values in rows:
            yield {
                h: "" if v is None else str(v).strip() for h, v in zip(header, values, strict=False)
            }
        return
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportRejected(_("Save the CSV as UTF-8."), field="file")
    if "\x00" in text:
        raise ImportRejected(_("This is not a text CSV file."), field="file")
    # strict: an unbalanced quote is an error, not a cell that swallows the rest of the file.
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        _check_header([h.strip() for h in reader.fieldnames or []])
        for raw in reader:
            if None in raw:
                raise ImportRejected(
                    _("Row %(row)s has more cells than the header.") % {"row": reader.line_num},
                    field="file",
                )
            yield {k.strip(): (v or "").strip() for k, v in raw.items()}
    except csv.Error as exc:
        raise ImportRejected(
            _("The CSV is malformed: %(error)s") % {"error": exc}, field="file"
        ) from None


def _check_header(header: list[str]) -> None:
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        raise ImportRejected(
            _("Unknown column %(name)s; the columns are: %(columns)s")
            % {"name": unknown[0], "columns": ", ".join(COLUMNS)},
            field="file",
        )
    missing = sorted(REQUIRED - set(header))
    if missing:
        raise ImportRejected(_("Missing column %(name)s.") % {"name": missing[0]}, field="file")


def _int(row: dict[str, str], name: str, default: int | None = None) -> int | None:
    raw = row.get(name, "")
    if raw == "":
        return default
    try:
        value = float(raw) if "." in raw else int(raw)
        whole = int(value)  # OverflowError for "1e999.0"-style infinities, not a crashed task
    except (ValueError, OverflowError):
        raise ImportRejected(_("Enter a whole number."), field=name) from None
    if value != whole:
        raise ImportRejected(_("Enter a whole number."), field=name)
    return whole


def _required_int(row: dict[str, str], name: str) -> int:
    value = _int(row, name)
    if value is None:
        raise ImportRejected(_("This field is required."), field=name)
    return value


def _attributes(raw: str) -> dict[str, str]:
    try:
        return parse_pairs(raw)
    except PairsMalformed:
        raise ImportRejected(
            _('Write attributes as "name=value; name=value".'), field="attributes"
        ) from None


def _ladder(raw: str, currency: str) -> list[PriceBreak]:
    ladder = []
    for part in filter(None, (p.strip() for p in raw.replace("；", ";").split(";"))):
        quantity, sep, price = part.partition(":")
        if not sep:
            raise ImportRejected(_('Write the ladder as "2:12.50; 100:11.00".'), field="ladder")
        try:
            min_quantity = int(quantity)
        except ValueError:
            raise ImportRejected(
                _('Write the ladder as "2:12.50; 100:11.00".'), field="ladder"
            ) from None
        ladder.append(PriceBreak(min_quantity, parse_amount(price, currency, field="ladder")))
    return ladder


def _group_to_input(group: ProductGroup, categories: dict[str, int]) -> ProductInput:
    first = group.rows[0][1]
    category_id = categories.get(first.get("category", ""))
    if category_id is None:
        raise ImportRejected(_("Unknown category slug."), field="category")
    currency = first.get("currency") or "CNY"
    skus = []
    for index, (_line, row) in enumerate(group.rows):
        try:
            moq = _int(row, "moq", 1)
            skus.append(
                SkuInput(
                    code=row.get("sku_code", ""),
                    attributes=_attributes(row.get("attributes", "")),
                    stock=_required_int(row, "stock"),
                    moq=1 if moq is None else moq,  # "0" must reach validation, not become 1
                    ladder=_ladder(row.get("ladder", ""), currency),
                    dropship_price_minor=(
                        parse_amount(row["dropship_price"], currency, field="dropship_price")
                        if row.get("dropship_price")
                        else None
                    ),
                    sample_price_minor=(
                        parse_amount(row["sample_price"], currency, field="sample_price")
                        if row.get("sample_price")
                        else None
                    ),
                )
            )
        except DomainError as exc:
            # Name the SKU, so the error points at this row and not the product's first row.
            exc.field = f"skus.{index}.{exc.field}"
            raise
    data = ProductInput(
        category_id=category_id,
        skus=skus,
        title_zh_hans=first.get("title_zh_hans", ""),
        title_en=first.get("title_en", ""),
        title_de=first.get("title_de", ""),
        description_zh_hans=first.get("description_zh_hans", ""),
        description_en=first.get("description_en", ""),
        description_de=first.get("description_de", ""),
        currency=currency,
        lead_time_days=_int(first, "lead_time_days", 3) or 0,
        mixed_batch_moq=_int(first, "mixed_batch_moq"),
        weight_g=_int(first, "weight_g"),
    )
    product_input_validate(data)
    return data


def import_job_start(
    *, actor: Actor, upload: UploadedFile[bytes], mode: str, publish: bool
) -> ImportJob:
    if not actor.is_supplier:
        raise PermissionDenied(_("Switch to a supplier organization to import products."))
    if mode not in ImportMode.values:
        raise ImportRejected(_("Choose how to treat bad rows."), field="mode")
    name = upload.name or "import.csv"
    if not name.lower().endswith((".csv", ".xlsx")):
        raise ImportRejected(_("Upload a .csv or .xlsx file."), field="file")
    if upload.size is None or upload.size > settings.MAX_IMPORT_BYTES:
        raise ImportRejected(
            _("Import files may be at most %(mb)s MB.")
            % {"mb": settings.MAX_IMPORT_BYTES // 2**20},
            field="file",
        )
    head = upload.read(4)
    upload.seek(0)
    if name.lower().endswith(".xlsx") and head != b"PK\x03\x04":
        raise ImportRejected(_("This is not a readable XLSX workbook."), field="file")
    from huoyuan.catalogue.tasks import import_run

    with transaction.atomic():
        job = ImportJob(
            supplier_id=actor.organization_id,
            created_by_id=actor.user_id,
            original_name=name[-255:],
            mode=mode,
            publish=publish,
        )
        job.file.save(
            "import.xlsx" if name.lower().endswith(".xlsx") else "import.csv", upload, save=False
        )
        job.save()
        transaction.on_commit(lambda: import_run.enqueue(job.pk))
    return job


def _progress(job: ImportJob, **values: Any) -> None:
    ImportJob.objects.filter(pk=job.pk).update(**values)


def import_job_run(*, job_id: int) -> ImportJob:
    """Run an import (called by the background task). Never half-imports in all-or-nothing mode."""
    job = ImportJob.objects.select_related("supplier").get(pk=job_id)
    if job.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
        return job
    actor = Actor(
        user_id=job.created_by_id or 0,
        organization_id=job.supplier_id,
        organization_kind=job.supplier.kind,
        organization_slug=job.supplier.slug,
        role="staff",
    )
    _progress(job, status=ImportStatus.RUNNING)
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
        rows = list(_read_rows(data, job.file.name or ""))
    except DomainError as exc:
        _progress(
            job, status=ImportStatus.FAILED, message=str(exc.message), finished_at=timezone.now()
        )
        job.refresh_from_db()
        return job
    if len(rows) > MAX_ROWS:
        _progress(
            job,
            status=ImportStatus.FAILED,
            finished_at=timezone.now(),
            message=_("At most %(n)s rows per file.") % {"n": MAX_ROWS},
        )
        job.refresh_from_db()
        return job
    groups: dict[str, ProductGroup] = {}
    errors: list[RowError] = []
    for index, row in enumerate(rows, start=2):  # row 1 is the header
        if not any(row.values()):
            continue
        ref = row.get("product_ref", "")
        if not ref:
            errors.append(RowError(index, "product_ref", _("This field is required.")))
            continue
        groups.setdefault(ref, ProductGroup(ref)).rows.append((index, row))
    _progress(job, total_rows=len(rows))
    categories = dict(Category.objects.values_list("slug", "pk"))
    valid: list[tuple[ProductGroup, ProductInput]] = []
    processed = 0
    for group in groups.values():
        try:
            valid.append((group, _group_to_input(group, categories)))
        except DomainError as exc:
            errors.append(
                RowError(_row_of(group, exc.field), _field_of(exc.field), str(exc.message))
            )
        processed += len(group.rows)
        if processed % PROGRESS_EVERY < len(group.rows):
            _progress(job, processed_rows=min(processed, len(rows)))
    if errors and job.mode == ImportMode.ALL_OR_NOTHING:
        _progress(
            job,
            status=ImportStatus.FAILED,
            processed_rows=len(rows),
            finished_at=timezone.now(),
            errors=[e.as_dict() for e in sorted(errors, key=lambda e: e.row)][:500],
            message=_(
                "Nothing was imported: fix the rows listed, or choose to import the valid rows."
            ),
        )
        job.refresh_from_db()
        return job
    created = 0
    with transaction.atomic():
        for _group, data in valid:
            product_create(actor=actor, data=data, publish=job.publish)
            created += 1
    _progress(
        job,
        status=ImportStatus.DONE,
        processed_rows=len(rows),
        created_count=created,
        finished_at=timezone.now(),
        errors=[e.as_dict() for e in sorted(errors, key=lambda e: e.row)][:500],
    )
    job.refresh_from_db()
    return job


def _row_of(group: ProductGroup, field: str | None) -> int:
    if field and field.startswith("skus."):
        index = int(field.split(".")[1])
        if index < len(group.rows):
            return group.rows[index][0]
    return group.rows[0][0]


def _field_of(field: str | None) -> str | None:
    if field and field.startswith("skus."):
        parts = field.split(".")
        return (
            {
                "code": "sku_code",
                "dropship_price_minor": "dropship_price",
                "sample_price_minor": "sample_price",
            }.get(parts[2], parts[2])
            if len(parts) > 2
            else "sku_code"
        )
    return field
