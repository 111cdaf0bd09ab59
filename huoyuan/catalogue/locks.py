from __future__ import annotations

from huoyuan.catalogue.errors import NotFound
from huoyuan.catalogue.models import Product


def product_lock_for_supplier(*, supplier_id: int, product_id: int) -> Product:
    """Lock one of the supplier's own products; another supplier's is simply not found."""
    product = (
        Product.objects.select_for_update().filter(pk=product_id, supplier_id=supplier_id).first()
    )
    if product is None:
        raise NotFound()
    return product
