"""Reorder: a past order's lines go back into the cart in one click."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from huoyuan.accounts.contracts import Actor
from huoyuan.catalogue.errors import NotFound as CatalogueNotFound
from huoyuan.orders.cart import cart_add, require_buyer
from huoyuan.orders.errors import Conflict, NotFound, ValidationFailed
from huoyuan.orders.models import Order, OrderLine


def order_reorder(*, actor: Actor, order_id: int) -> tuple[int, list[str]]:
    """Add the order's SKUs at the same quantities; returns (lines added, codes no longer sold)."""
    require_buyer(actor)
    order = Order.objects.filter(pk=order_id, buyer_id=actor.organization_id).first()
    if order is None:
        raise NotFound()
    added, missing = 0, []
    with transaction.atomic():
        for line in OrderLine.objects.filter(order=order).order_by("pk"):
            if line.sku_id is None:
                missing.append(line.sku_code)
                continue
            try:
                cart_add(actor=actor, sku_id=line.sku_id, quantity=line.quantity, kind=line.kind)
            except (CatalogueNotFound, ValidationFailed):
                missing.append(line.sku_code)
                continue
            added += 1
    if not added:
        raise Conflict(_("None of this order's items is on sale any more."))
    return added, missing
