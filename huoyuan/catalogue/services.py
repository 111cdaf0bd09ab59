"""Catalogue writes: products with their SKUs and ladders, images, status changes, categories."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, Min, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from huoyuan.accounts.contracts import Actor
from huoyuan.catalogue.contracts import (
    PriceBreak,
    ProductInput,
    ProductStatus,
    SkuInput,
    products_changed,
)
from huoyuan.catalogue.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from huoyuan.catalogue.locks import product_lock_for_supplier
from huoyuan.catalogue.models import Category, PriceTier, Product, ProductImage, Sku
from huoyuan.catalogue.pricing import ladder_validate
from huoyuan.core.images import clean_image, delete_files_on_commit
from huoyuan.core.money import MINOR_DIGITS
from huoyuan.core.pagecache import public_version_bump
from huoyuan.core.services import audit_record_many

MAX_SKUS = 100
MAX_IMAGES = 12
MAX_ATTRIBUTES = 30
MAX_STOCK = 1_000_000_000
MAX_MOQ = 10_000_000
SKU_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
STATUS_TRANSITIONS: dict[str, set[str]] = {
    ProductStatus.DRAFT: {ProductStatus.PUBLISHED, ProductStatus.ARCHIVED},
    ProductStatus.PUBLISHED: {ProductStatus.DRAFT, ProductStatus.ARCHIVED},
    ProductStatus.ARCHIVED: {ProductStatus.DRAFT},
}


def _require_supplier(actor: Actor) -> None:
    if not actor.is_supplier:
        raise PermissionDenied(_("Switch to a supplier organization to manage products."))


def _clean_attributes(raw: dict[str, str] | None, *, field: str) -> dict[str, str]:
    attributes = {str(k).strip(): str(v).strip() for k, v in (raw or {}).items()}
    attributes = {k: v for k, v in attributes.items() if k and v}
    if len(attributes) > MAX_ATTRIBUTES:
        raise ValidationFailed(_("At most %(n)s attributes.") % {"n": MAX_ATTRIBUTES}, field=field)
    for key, value in attributes.items():
        if len(key) > 40 or len(value) > 200:
            raise ValidationFailed(
                _("Attribute names are at most 40 characters, values at most 200."), field=field
            )
    return attributes


def _bounded(value: int | None, *, field: str, low: int, high: int, optional: bool) -> None:
    if value is None:
        if not optional:
            raise ValidationFailed(_("This field is required."), field=field)
        return
    if value < low or value > high:
        raise ValidationFailed(
            _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high},
            field=field,
        )


def product_input_validate(data: ProductInput) -> None:
    """Every rule a product must satisfy, checked before anything is written."""
    titles = [data.title_zh_hans.strip(), data.title_en.strip(), data.title_de.strip()]
    if not any(titles):
        raise ValidationFailed(
            _("Give the product a title in at least one language."), field="title_en"
        )
    for suffix, title in zip(("zh_hans", "en", "de"), titles, strict=True):
        if len(title) > 200:
            raise ValidationFailed(_("A title is at most 200 characters."), field=f"title_{suffix}")
    if data.currency not in MINOR_DIGITS:
        raise ValidationFailed(_("Unknown currency."), field="currency")
    if not Category.objects.filter(pk=data.category_id).exists():
        raise ValidationFailed(_("Choose a category from the list."), field="category")
    _bounded(data.mixed_batch_moq, field="mixed_batch_moq", low=1, high=MAX_MOQ, optional=True)
    _bounded(data.lead_time_days, field="lead_time_days", low=0, high=365, optional=False)
    for name in ("weight_g", "length_mm", "width_mm", "height_mm"):
        _bounded(getattr(data, name), field=name, low=1, high=10_000_000, optional=True)
    _clean_attributes(data.attributes, field="attributes")
    if not data.skus:
        raise ValidationFailed(_("Add at least one SKU."), field="skus")
    if len(data.skus) > MAX_SKUS:
        raise ValidationFailed(_("At most %(n)s SKUs.") % {"n": MAX_SKUS}, field="skus")
    codes: set[str] = set()
    for index, sku in enumerate(data.skus):
        prefix = f"skus.{index}"
        if not SKU_CODE.match(sku.code or ""):
            raise ValidationFailed(
                _("SKU codes use letters, digits, dot, dash and underscore (at most 64)."),
                field=f"{prefix}.code",
            )
        if sku.code.lower() in codes:
            raise ValidationFailed(_("Each SKU code may appear once."), field=f"{prefix}.code")
        codes.add(sku.code.lower())
        _clean_attributes(sku.attributes, field=f"{prefix}.attributes")
        if sku.stock < 0:
            raise ValidationFailed(_("Stock cannot be negative."), field=f"{prefix}.stock")
        _bounded(sku.stock, field=f"{prefix}.stock", low=0, high=MAX_STOCK, optional=False)
        _bounded(sku.moq, field=f"{prefix}.moq", low=1, high=MAX_MOQ, optional=False)
        for name in ("dropship_price_minor", "sample_price_minor"):
            price = getattr(sku, name)
            if price is not None and price < 0:
                raise ValidationFailed(_("A price cannot be negative."), field=f"{prefix}.{name}")
        ladder_validate(sku.ladder, moq=sku.moq, field=f"{prefix}.ladder")


def _ladders(product: Product) -> dict[str, list[list[int]]]:
    ladders: dict[str, list[list[int]]] = {}
    for tier in PriceTier.objects.filter(sku__product=product).select_related("sku"):
        ladders.setdefault(tier.sku.code.lower(), []).append(
            [tier.min_quantity, tier.unit_price_minor]
        )
    return ladders


def _write_skus(product: Product, skus: list[SkuInput], *, actor: Actor | None = None) -> None:
    existing = {s.code.lower(): s for s in Sku.objects.select_for_update().filter(product=product)}
    before_ladders = _ladders(product) if existing else {}
    wanted = {d.code.lower() for d in skus}
    for code, present in existing.items():
        if code not in wanted and present.reserved:
            raise Conflict(
                _(
                    "SKU %(code)s has units in open orders and cannot be removed; "
                    "set its stock to 0 instead."
                )
                % {"code": present.code},
                field="skus",
            )
    audit: list[dict[str, Any]] = []
    keep: list[int] = []
    for position, data in enumerate(skus):
        old = existing.get(data.code.lower())
        sku = old or Sku(product=product)
        before = (
            {"stock": old.stock, "ladder": before_ladders.get(data.code.lower(), [])}
            if old
            else None
        )
        sku.code = data.code
        sku.attributes = _clean_attributes(data.attributes, field="attributes")
        sku.stock = data.stock
        sku.moq = data.moq
        sku.dropship_price_minor = data.dropship_price_minor
        sku.sample_price_minor = data.sample_price_minor
        sku.sample_limit = data.sample_limit
        sku.position = position
        sku.save()
        keep.append(sku.pk)
        after = {
            "stock": data.stock,
            "ladder": [[t.min_quantity, t.unit_price_minor] for t in data.ladder],
        }
        if before != after:
            audit.append(
                {
                    "action": "sku.stock_price_set",
                    "object_type": "sku",
                    "object_id": sku.pk,
                    "actor_id": actor.user_id if actor else None,
                    "organization_id": product.supplier_id,
                    "before": before,
                    "after": after,
                }
            )
    Sku.objects.filter(product=product).exclude(pk__in=keep).delete()
    PriceTier.objects.filter(sku__product=product).delete()
    by_code = {s.code.lower(): s for s in Sku.objects.filter(product=product)}
    PriceTier.objects.bulk_create(
        PriceTier(
            sku=by_code[d.code.lower()],
            min_quantity=t.min_quantity,
            unit_price_minor=t.unit_price_minor,
        )
        for d in skus
        for t in d.ladder
    )
    if audit:
        audit_record_many(audit)


def product_refresh_summary(*, product: Product) -> None:
    """Recompute what lists filter and sort on (lowest price, MOQ, stock, dropship)."""
    prices = PriceTier.objects.filter(sku__product=product).aggregate(
        low=Min("unit_price_minor"), high=Max("unit_price_minor")
    )
    skus = Sku.objects.filter(product=product).aggregate(
        moq=Min("moq"), stock=Sum("stock"), dropship=Min("dropship_price_minor")
    )
    Product.objects.filter(pk=product.pk).update(
        price_min_minor=prices["low"],
        price_max_minor=prices["high"],
        moq_min=skus["moq"],
        stock_total=skus["stock"] or 0,
        dropship_available=skus["dropship"] is not None,
    )


def _apply(product: Product, data: ProductInput) -> None:
    product.category_id = data.category_id
    for suffix in ("zh_hans", "en", "de"):
        setattr(product, f"title_{suffix}", getattr(data, f"title_{suffix}").strip())
        setattr(product, f"description_{suffix}", getattr(data, f"description_{suffix}").strip())
    product.attributes = _clean_attributes(data.attributes, field="attributes")
    product.currency = data.currency
    product.mixed_batch_moq = data.mixed_batch_moq
    product.lead_time_days = data.lead_time_days
    product.weight_g = data.weight_g
    product.length_mm = data.length_mm
    product.width_mm = data.width_mm
    product.height_mm = data.height_mm


def _on_commit_changed(product_id: int) -> None:
    transaction.on_commit(lambda: products_changed.send(sender=Product, ids=[product_id]))


def product_create(*, actor: Actor, data: ProductInput, publish: bool = False) -> Product:
    _require_supplier(actor)
    product_input_validate(data)
    with transaction.atomic():
        product = Product(supplier_id=actor.organization_id)
        _apply(product, data)
        if publish:
            product.status = ProductStatus.PUBLISHED
            product.published_at = timezone.now()
        product.save()
        _write_skus(product, data.skus, actor=actor)
        product_refresh_summary(product=product)
        transaction.on_commit(public_version_bump)
        _on_commit_changed(product.pk)
    product.refresh_from_db()
    return product


def product_update(*, actor: Actor, product_id: int, data: ProductInput) -> Product:
    _require_supplier(actor)
    product_input_validate(data)
    with transaction.atomic():
        product = product_lock_for_supplier(
            supplier_id=actor.organization_id, product_id=product_id
        )
        _apply(product, data)
        product.save()
        _write_skus(product, data.skus, actor=actor)
        product_refresh_summary(product=product)
        transaction.on_commit(public_version_bump)
        _on_commit_changed(product.pk)
    product.refresh_from_db()
    return product


def product_set_status(*, actor: Actor, product_id: int, status: str) -> Product:
    _require_supplier(actor)
    if status not in ProductStatus.values:
        raise ValidationFailed(_("Unknown status."), field="status")
    with transaction.atomic():
        product = product_lock_for_supplier(
            supplier_id=actor.organization_id, product_id=product_id
        )
        if status == product.status:
            return product
        if status not in STATUS_TRANSITIONS[product.status]:
            raise ValidationFailed(
                _("A product cannot go from %(old)s to %(new)s.")
                % {"old": product.get_status_display(), "new": ProductStatus(status).label},
                field="status",
            )
        if status == ProductStatus.PUBLISHED and not product.skus.exists():
            raise ValidationFailed(_("Add at least one SKU before publishing."), field="status")
        product.status = status
        if status == ProductStatus.PUBLISHED and product.published_at is None:
            product.published_at = timezone.now()
        product.save(update_fields=["status", "published_at", "updated_at"])
        transaction.on_commit(public_version_bump)
        _on_commit_changed(product.pk)
    return product


def product_image_add(
    *, actor: Actor, product_id: int, upload: UploadedFile[bytes]
) -> ProductImage:
    _require_supplier(actor)
    # Another supplier's product is a 404 before we spend any work on the file.
    if not Product.objects.filter(pk=product_id, supplier_id=actor.organization_id).exists():
        raise NotFound()
    cleaned = clean_image(upload)
    with transaction.atomic():
        product = product_lock_for_supplier(
            supplier_id=actor.organization_id, product_id=product_id
        )
        count = product.images.count()
        if count >= MAX_IMAGES:
            raise ValidationFailed(
                _("A product has at most %(n)s images.") % {"n": MAX_IMAGES}, field="image"
            )
        image = ProductImage(product=product, position=count)
        image.image.save(cleaned.image.name or "image", cleaned.image, save=False)
        image.thumbnail.save(cleaned.thumbnail.name or "thumb", cleaned.thumbnail, save=False)
        image.save()
        transaction.on_commit(public_version_bump)
    return image


def product_image_delete(*, actor: Actor, product_id: int, image_id: int) -> None:
    _require_supplier(actor)
    with transaction.atomic():
        product = product_lock_for_supplier(
            supplier_id=actor.organization_id, product_id=product_id
        )
        image = product.images.filter(pk=image_id).first()
        if image is None:
            raise NotFound()
        delete_files_on_commit(image.image, image.thumbnail)
        image.delete()
        transaction.on_commit(public_version_bump)


def category_tree_load(*, path: Path) -> int:
    """Create or update the category tree from a JSON file; returns how many nodes it holds."""
    nodes: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    count = 0

    def walk(items: list[dict[str, Any]], parent: Category | None, prefix: str, depth: int) -> None:
        nonlocal count
        for position, node in enumerate(items):
            node_path = f"{prefix}{position + 1:04d}."
            category, _created = Category.objects.update_or_create(
                slug=node["slug"],
                defaults={
                    "parent": parent,
                    "name_zh_hans": node["zh_hans"],
                    "name_en": node["en"],
                    "name_de": node["de"],
                    "path": node_path,
                    "depth": depth,
                    "position": position,
                },
            )
            count += 1
            walk(node.get("children") or [], category, node_path, depth + 1)

    with transaction.atomic():
        # Paths are unique: park the old ones out of the way before writing new ones.
        for category in Category.objects.all():
            Category.objects.filter(pk=category.pk).update(path=f"~{category.pk}")
        walk(nodes, None, "", 0)
        transaction.on_commit(public_version_bump)
    return count


def sku_inputs_from_ladder(code: str, ladder: list[tuple[int, int]], **extra: Any) -> SkuInput:
    """Small helper for seeds and tests: a SKU from (min_quantity, unit_price_minor) pairs."""
    return SkuInput(
        code=code,
        attributes=extra.pop("attributes", {}),
        stock=extra.pop("stock", 0),
        moq=extra.pop("moq", ladder[0][0] if ladder else 1),
        ladder=[PriceBreak(q, p) for q, p in ladder],
        **extra,
    )
