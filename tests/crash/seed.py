"""The marketplace the workers trade in: people, products, addresses, trade settings."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management import call_command

from huoyuan.accounts.contracts import OrganizationKind
from huoyuan.accounts.selectors import actor_from_membership, membership_list_for_user
from huoyuan.accounts.services import operator_organization_create, user_signup
from huoyuan.catalogue.contracts import PriceBreak, ProductInput, SkuInput
from huoyuan.catalogue.models import Category, Sku
from huoyuan.catalogue.services import product_create
from huoyuan.orders import services as orders
from huoyuan.orders.models import TradeSettings
from huoyuan.payments import services as payments


def setup(data: Path) -> None:
    call_command("migrate", verbosity=0)
    unusable = make_password(None)

    def person(local: str, kind: str | None) -> Any:
        user = user_signup(
            email=f"{local}@crash.test",
            password="",
            password_hash=unusable,
            display_name=local,
            organization_kind=kind,
            organization_name=f"{local} Co." if kind else "",
        )
        if kind is None:
            operator_organization_create(user=user, name="Operator")
        return actor_from_membership(membership_list_for_user(user=user).first())  # type: ignore[arg-type]

    operator = person("operator", None)
    suppliers = [person(f"supplier{i}", OrganizationKind.SUPPLIER) for i in (1, 2)]
    buyers = [person(f"buyer{i}", OrganizationKind.BUYER) for i in (1, 2, 3)]
    category = Category.objects.create(
        slug="crash", name_zh_hans="碗", name_en="Bowls", name_de="Schalen", path="0001."
    )
    for index, supplier in enumerate(suppliers):
        ladder = [PriceBreak(1, 1250 + 100 * index), PriceBreak(10, 1100), PriceBreak(100, 990)]
        product_create(
            actor=supplier,
            publish=True,
            data=ProductInput(
                category_id=category.pk,
                title_zh_hans=f"陶瓷碗 {index}",
                title_en=f"Ceramic bowl {index}",
                title_de=f"Keramikschale {index}",
                skus=[
                    SkuInput(f"BOWL{index}-A", {"colour": "Red"}, 1_000_000, 1, ladder),
                    # Scarce: checkouts run it out, cancellations and expiry bring units back.
                    SkuInput(f"BOWL{index}-B", {"colour": "Blue"}, 300, 1, ladder),
                ],
            ),
        )
        payments.payout_account_set(
            actor=supplier,
            holder_name=f"supplier{index + 1}",
            bank_name="Demo Bank",
            account_number=f"62220000{index:08d}",
        )
    addresses = {
        buyer.organization_id: orders.address_create(
            actor=buyer,
            data=orders.AddressInput(
                recipient="王小明", phone="13800000000", city="杭州", street="文三路"
            ),
        ).pk
        for buyer in buyers
    }
    TradeSettings.objects.update_or_create(
        pk=1, defaults={"max_unpaid_orders_per_buyer": 100_000, "max_unpaid_share_percent": 100}
    )
    world = {
        "operator": dataclasses.asdict(operator),
        "suppliers": [dataclasses.asdict(a) for a in suppliers],
        "buyers": [dataclasses.asdict(a) for a in buyers],
        "addresses": addresses,
        "initial_stock": {str(pk): stock for pk, stock in Sku.objects.values_list("pk", "stock")},
    }
    (data / "seed.json").write_text(json.dumps(world))
