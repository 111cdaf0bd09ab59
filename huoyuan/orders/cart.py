"""The cart and its live quote: which break applies, MOQ, mixed-batch MOQ (混批), stock, samples.

The same quote is what checkout re-computes and compares (by its token) before anything is
reserved or charged, so a buyer never pays a price they were not shown.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from huoyuan.accounts.contracts import Actor
from huoyuan.catalogue import selectors as catalogue
from huoyuan.catalogue.contracts import ProductStatus
from huoyuan.catalogue.pricing import price_for_quantity
from huoyuan.orders.caps import show_caps
from huoyuan.orders.contracts import LineKind
from huoyuan.orders.errors import BuyersOnly, Conflict, NotFound, ValidationFailed
from huoyuan.orders.models import CartLine

MAX_QUANTITY = 1_000_000
MAX_CART_LINES = 200


@dataclass
class QuoteLine:
    line_id: int
    sku_id: int
    product_id: int
    product_title: str
    sku_code: str
    sku_label: str
    kind: str
    quantity: int
    currency: str
    unit_price_minor: int
    total_minor: int
    moq: int
    stock: int
    reserved: int = 0
    on_sale: bool = True
    applied_min_quantity: int | None = None
    next_break_min_quantity: int | None = None
    next_break_unit_price_minor: int | None = None
    units_to_next_break: int | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class SupplierGroup:
    supplier_id: int
    supplier_name: str
    supplier_slug: str
    currency: str
    lines: list[QuoteLine] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    mixed_batch_moq: int | None = None
    mixed_batch_units: int = 0

    @property
    def subtotal_minor(self) -> int:
        return sum(line.total_minor for line in self.lines)

    @property
    def ok(self) -> bool:
        return not self.problems and not any(line.problems for line in self.lines)

    def kinds(self) -> list[str]:
        return sorted({line.kind for line in self.lines})


@dataclass
class CartQuote:
    groups: list[SupplierGroup]
    token: str

    @property
    def lines(self) -> list[QuoteLine]:
        return [line for group in self.groups for line in group.lines]

    @property
    def ok(self) -> bool:
        return bool(self.groups) and all(g.ok for g in self.groups) and len(self.currencies) == 1

    @property
    def currencies(self) -> list[str]:
        return sorted({g.currency for g in self.groups})

    @property
    def total_minor(self) -> int:
        return sum(g.subtotal_minor for g in self.groups)

    @property
    def problems(self) -> list[str]:
        if len(self.currencies) > 1:
            return [
                _(
                    "The cart holds items priced in %(currencies)s: check out one currency at a "
                    "time (remove the others for now)."
                )
                % {"currencies": ", ".join(self.currencies)}
            ]
        return []


def require_buyer(actor: Actor) -> None:
    if not actor.is_buyer:
        raise BuyersOnly()


def cart_lines(*, buyer_id: int) -> QuerySet[CartLine]:
    return CartLine.objects.filter(buyer_id=buyer_id).order_by("pk")


def _quote_line(cart_line: CartLine, sku: Any) -> QuoteLine:
    product = sku.product
    return QuoteLine(
        line_id=cart_line.pk,
        sku_id=sku.pk,
        product_id=product.pk,
        product_title=str(product),
        sku_code=sku.code,
        sku_label=sku.label,
        kind=cart_line.kind,
        quantity=cart_line.quantity,
        currency=product.currency,
        unit_price_minor=0,
        total_minor=0,
        moq=sku.moq,
        stock=sku.stock,
        reserved=sku.reserved,
    )


def _price_wholesale(line: QuoteLine, sku: Any, ladder_quantity: int) -> None:
    ladder = catalogue.sku_ladder(sku)
    quote = price_for_quantity(ladder, max(ladder_quantity, 1))
    if quote is None:
        # Below the first break (a mixed batch waived the SKU's MOQ): the first break's price.
        first = min(ladder, key=lambda t: t.min_quantity)
        line.unit_price_minor = first.unit_price_minor
        line.next_break_min_quantity = first.min_quantity
        line.units_to_next_break = first.min_quantity - ladder_quantity
        line.next_break_unit_price_minor = first.unit_price_minor
    else:
        line.unit_price_minor = quote.unit_price_minor
        line.applied_min_quantity = quote.applied.min_quantity
        if quote.next_break is not None:
            line.next_break_min_quantity = quote.next_break.min_quantity
            line.next_break_unit_price_minor = quote.next_break.unit_price_minor
            line.units_to_next_break = quote.units_to_next_break
    line.total_minor = line.unit_price_minor * line.quantity


def quote_lines(lines: list[CartLine]) -> CartQuote:
    """Price and check cart lines (no queries beyond loading their SKUs: three)."""
    skus = catalogue.skus_for_trade(sku_ids=[line.sku_id for line in lines])
    groups: dict[int, SupplierGroup] = {}
    by_product: dict[tuple[int, int], int] = defaultdict(int)  # (supplier, product) -> units
    by_sku: dict[int, int] = defaultdict(int)
    priced: list[tuple[QuoteLine, Any]] = []
    for cart_line in lines:
        sku = skus.get(cart_line.sku_id)
        if sku is None:
            continue
        product = sku.product
        supplier = product.supplier
        group = groups.get(supplier.pk)
        if group is None:
            profile = getattr(supplier, "supplier_profile", None)
            group = groups[supplier.pk] = SupplierGroup(
                supplier_id=supplier.pk,
                supplier_name=supplier.name,
                supplier_slug=supplier.slug,
                currency=product.currency,
                mixed_batch_moq=getattr(profile, "mixed_batch_moq", None),
            )
        line = _quote_line(cart_line, sku)
        group.lines.append(line)
        priced.append((line, sku))
        by_sku[sku.pk] += line.quantity
        if line.kind == LineKind.WHOLESALE:
            by_product[(supplier.pk, product.pk)] += line.quantity
            group.mixed_batch_units += line.quantity
        if product.currency != group.currency:
            group.problems.append(_("This supplier's items are priced in more than one currency."))
    for line, sku in priced:
        product = sku.product
        group = groups[product.supplier_id]
        if product.status != ProductStatus.PUBLISHED or not product.supplier.is_active:
            line.on_sale = False
            line.problems.append(_("This product is no longer on sale; remove it."))
        if by_sku[sku.pk] > sku.stock:
            line.problems.append(
                _("Only %(stock)s in stock.") % {"stock": sku.stock}
                if sku.stock
                else _("Out of stock.")
            )
        if line.kind == LineKind.SAMPLE:
            if sku.sample_price_minor is None:
                line.problems.append(_("This item is not offered as a sample."))
            else:
                line.unit_price_minor = sku.sample_price_minor
                line.total_minor = sku.sample_price_minor * line.quantity
            if line.quantity > sku.sample_limit:
                line.problems.append(
                    _("At most %(limit)s samples per order.") % {"limit": sku.sample_limit}
                )
            continue
        store_batch = group.mixed_batch_moq is not None
        product_batch = product.mixed_batch_moq is not None
        ladder_quantity = (
            by_product[(group.supplier_id, product.pk)]
            if store_batch or product_batch
            else line.quantity
        )
        _price_wholesale(line, sku, ladder_quantity)
        if store_batch:
            continue  # checked once for the whole group below
        if product_batch:
            total = by_product[(group.supplier_id, product.pk)]
            if total < product.mixed_batch_moq:
                line.problems.append(
                    _(
                        "Mixed batch: this product's variants together need at least %(moq)s "
                        "units (now %(have)s)."
                    )
                    % {"moq": product.mixed_batch_moq, "have": total}
                )
        elif line.quantity < sku.moq:
            line.problems.append(_("The minimum order is %(moq)s units (MOQ).") % {"moq": sku.moq})
    for group in groups.values():
        wholesale = any(line.kind == LineKind.WHOLESALE for line in group.lines)
        if (
            wholesale
            and group.mixed_batch_moq is not None
            and group.mixed_batch_units < group.mixed_batch_moq
        ):
            group.problems.append(
                _(
                    "Mixed batch: this supplier ships orders of at least %(moq)s units in all "
                    "(now %(have)s); any of its items count."
                )
                % {"moq": group.mixed_batch_moq, "have": group.mixed_batch_units}
            )
    ordered = sorted(groups.values(), key=lambda g: min(line.line_id for line in g.lines))
    return CartQuote(groups=ordered, token=_token(ordered))


def _token(groups: list[SupplierGroup]) -> str:
    digest = hashlib.sha256()
    for group in groups:
        for line in group.lines:
            digest.update(
                f"{line.line_id}:{line.sku_id}:{line.kind}:{line.quantity}:"
                f"{line.unit_price_minor}:{line.currency};".encode()
            )
    return digest.hexdigest()[:32]


def cart_quote(*, actor: Actor) -> CartQuote:
    """The cart as the buyer sees it, the fair-reservation cap included."""
    require_buyer(actor)
    return show_caps(actor, quote_lines(list(cart_lines(buyer_id=actor.organization_id))))


def clean_quantity(quantity: int) -> int:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationFailed(
            _("Enter a quantity from 1 to %(max)s.") % {"max": MAX_QUANTITY}, field="quantity"
        )
    return quantity


def cart_add(
    *, actor: Actor, sku_id: int, quantity: int, kind: str = LineKind.WHOLESALE
) -> CartLine:
    """Put units of a SKU in the cart (added to what is already there)."""
    require_buyer(actor)
    clean_quantity(quantity)
    if kind not in LineKind.values:
        raise ValidationFailed(_("Unknown order kind."), field="kind")
    sku = catalogue.sku_get_public(sku_id=sku_id)
    if kind == LineKind.SAMPLE and sku.sample_price_minor is None:
        raise ValidationFailed(_("This item is not offered as a sample."), field="kind")
    with transaction.atomic():
        # Another member of the organization may add the same SKU at the same moment (no row to
        # lock yet: the insert conflicts), and a checkout may then take their line out of the
        # cart before we lock it: try again, a few times, with whatever is there now.
        for _attempt in range(3):
            line = (
                CartLine.objects.select_for_update()
                .filter(buyer_id=actor.organization_id, sku_id=sku.pk, kind=kind)
                .first()
            )
            if line is not None:
                line.quantity = clean_quantity(line.quantity + quantity)
                line.save(update_fields=["quantity", "updated_at"])
                return line
            if CartLine.objects.filter(buyer_id=actor.organization_id).count() >= MAX_CART_LINES:
                raise ValidationFailed(
                    _("A cart holds at most %(n)s lines; check out or remove some first.")
                    % {"n": MAX_CART_LINES}
                )
            try:
                with transaction.atomic():
                    return CartLine.objects.create(
                        buyer_id=actor.organization_id, sku_id=sku.pk, kind=kind, quantity=quantity
                    )
            except IntegrityError:
                continue
        raise Conflict(_("The cart is changing right now; try again."))


def _own_line(actor: Actor, line_id: int) -> CartLine:
    line = (
        CartLine.objects.select_for_update()
        .filter(pk=line_id, buyer_id=actor.organization_id)
        .first()
    )
    if line is None:
        raise NotFound()
    return line


def cart_set_quantity(*, actor: Actor, line_id: int, quantity: int) -> CartLine | None:
    """Change a line's quantity; 0 removes it (returns None)."""
    require_buyer(actor)
    with transaction.atomic():
        line = _own_line(actor, line_id)
        if quantity == 0:
            line.delete()
            return None
        line.quantity = clean_quantity(quantity)
        line.save(update_fields=["quantity", "updated_at"])
        return line


def cart_remove(*, actor: Actor, line_id: int) -> None:
    require_buyer(actor)
    with transaction.atomic():
        _own_line(actor, line_id).delete()
