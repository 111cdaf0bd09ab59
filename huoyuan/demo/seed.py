"""Deterministic demo data: the same seed number gives the same marketplace.

Everything is created through the domain services, so demo data obeys the same rules as real data.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from huoyuan.accounts.contracts import Actor, BuyerType, OrganizationKind
from huoyuan.accounts.selectors import actor_from_membership, membership_list_for_user
from huoyuan.accounts.services import operator_organization_create, organization_create, user_signup
from huoyuan.catalogue.contracts import PriceBreak, ProductInput, SkuInput
from huoyuan.catalogue.selectors import category_list, product_list_for_supplier
from huoyuan.catalogue.services import category_tree_load, product_create
from huoyuan.core.services import exchange_rate_set
from huoyuan.notifications.services import notifications_mark_emailed
from huoyuan.orders.services import (
    AddressInput,
    address_create,
    cart_add,
    cart_quote,
    cart_set_quantity,
    order_confirm_receipt,
    order_ship,
    review_create,
)
from huoyuan.payments.sandbox import deliver, event_body
from huoyuan.payments.services import checkout_submit, payout_account_set
from huoyuan.suppliers.selectors import belt_list
from huoyuan.suppliers.services import belts_load, supplier_profile_update, verification_set

DATA = Path(__file__).resolve().parent.parent / "catalogue" / "data"
DEMO_PASSWORD = "huoyuan-demo-2026"  # noqa: S105 - printed for the demo on purpose
DEMO_DOMAIN = "demo.huoyuan.test"
RATES = {
    "USD": "0.1380",
    "EUR": "0.1290",
    "GBP": "0.1090",
    "JPY": "21.30",
    "KRW": "195.0",
    "HKD": "1.0750",
}
BUYERS = [
    ("buyer", "小美杂货铺", BuyerType.SHOP),
    ("livestream", "阿杰直播间", BuyerType.LIVESTREAM),
    ("groupbuy", "幸福社区团购", BuyerType.GROUP_BUY),
    ("crossborder", "Lindqvist Trading GmbH", BuyerType.CROSS_BORDER),
    ("novice", "新手小店", BuyerType.NOVICE),
]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str


def demo_logins() -> list[DemoLogin]:
    """The accounts worth trying first; the same for every seed."""
    return [
        DemoLogin(_email("operator"), "operator"),
        *(
            DemoLogin(_email(local), f"buyer ({BuyerType(kind).label})")
            for local, _n, kind in BUYERS
        ),
        DemoLogin(_email("supplier"), "supplier"),
        DemoLogin(_email("supplier02"), "supplier"),
    ]


def _email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def _leaves(nodes: list[dict[str, Any]], root: str | None = None) -> list[tuple[str, str]]:
    """(root slug, leaf slug) pairs."""
    found: list[tuple[str, str]] = []
    for node in nodes:
        top = root or node["slug"]
        children = node.get("children") or []
        if children:
            found.extend(_leaves(children, top))
        else:
            found.append((top, node["slug"]))
    return found


def _actor(user: Any) -> Actor:
    return actor_from_membership(membership_list_for_user(user=user).first())  # type: ignore[arg-type]


def _price_ladder(rng: random.Random, low: float, high: float, moq: int) -> list[PriceBreak]:
    base = Decimal(str(round(rng.uniform(low, high), 2)))
    minor = int(base * 100)
    return [
        PriceBreak(moq, minor),
        PriceBreak(moq * 5, int(minor * 0.94)),
        PriceBreak(moq * 20, int(minor * 0.88)),
    ]


def seed(
    *,
    seed: int = 2026,
    suppliers: int = 30,
    products: int = 1000,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[DemoLogin]:
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret
    report = progress or (lambda _stage, _done, _total: None)
    vocab = json.loads((DATA / "vocabulary.json").read_text(encoding="utf-8"))
    tree = json.loads((DATA / "categories.json").read_text(encoding="utf-8"))
    belt_data = {
        b["slug"]: b for b in json.loads((DATA / "belts.json").read_text(encoding="utf-8"))
    }
    hashed = make_password(DEMO_PASSWORD)  # once: hashing is slow on purpose
    with transaction.atomic():
        category_tree_load(path=DATA / "categories.json")
        belts_load(path=DATA / "belts.json")
        for currency, rate in RATES.items():
            exchange_rate_set(currency=currency, per_cny=Decimal(rate))
        category_ids = {c.slug: c.pk for c in category_list()}
        leaves = [pair for pair in _leaves(tree) if pair[1] in vocab["leaves"]]

        operator = user_signup(
            email=_email("operator"),
            password=DEMO_PASSWORD,
            password_hash=hashed,
            display_name="运营 Operator",
        )
        operator.is_staff = operator.is_superuser = True
        operator.save(update_fields=["is_staff", "is_superuser"])
        operator_organization_create(user=operator, name="huoyuan 平台运营")
        operator_actor = _actor(operator)

        for local, name, kind in BUYERS:
            user_signup(
                email=_email(local),
                password=DEMO_PASSWORD,
                password_hash=hashed,
                display_name=name,
                organization_kind=OrganizationKind.BUYER,
                organization_name=name,
                buyer_type=kind,
            )

        belts = list(belt_list())
        supplier_actors: list[tuple[Actor, list[tuple[str, str]]]] = []
        prefixes, suffixes = vocab["company_prefixes"], vocab["company_suffixes"]
        for index in range(suppliers):
            belt = belts[index % len(belts)]
            prefix = prefixes[index % len(prefixes)]
            roots = set(belt_data[belt.slug].get("category_slugs", []))
            fitting_suffixes = [x for x in suffixes if roots & set(x.get("category_slugs", []))]
            pool = fitting_suffixes or suffixes
            suffix = pool[rng.randrange(len(pool))]
            name = f"{belt_data[belt.slug]['city_zh']}{prefix['zh_hans']}{suffix['zh_hans']}"
            local = "supplier" if index == 0 else f"supplier{index + 1:02d}"
            user = user_signup(
                email=_email(local),
                password=DEMO_PASSWORD,
                password_hash=hashed,
                display_name=f"{prefix['zh_hans']}经理",
                organization_kind=OrganizationKind.SUPPLIER,
                organization_name=name,
            )
            actor = _actor(user)
            supplier_profile_update(
                actor=actor,
                data={
                    "belt_id": belt.pk,
                    "business_type": "factory" if rng.random() < 0.75 else "trading",
                    "tagline": f"{belt_data[belt.slug]['city_en']} {prefix['en']} {suffix['en']}",
                    "description": belt_data[belt.slug].get("description_zh", ""),
                    "province": belt_data[belt.slug].get("province_zh", ""),
                    "city": belt_data[belt.slug].get("city_zh", ""),
                    "founded_year": rng.randint(1995, 2022),
                    "floor_area_m2": rng.choice([800, 1500, 3000, 6000, 12000, 25000]),
                    "staff_count": rng.choice([15, 40, 80, 150, 300, 800]),
                    "monthly_capacity": f"{rng.choice([5, 10, 30, 50, 100, 300])}万件",
                    "oem": rng.random() < 0.7,
                    "odm": rng.random() < 0.4,
                    "certifications": rng.sample(vocab["certifications"], k=rng.randint(0, 3)),
                    "patents_count": rng.choice([0, 0, 1, 3, 8, 20]),
                },
            )
            level = rng.choice([0, 1, 1, 2, 2, 3]) if index else 2
            if level:
                verification_set(
                    actor=operator_actor, organization_id=actor.organization_id, level=level
                )
            fitting = [pair for pair in leaves if pair[0] in roots] or leaves
            supplier_actors.append((actor, fitting))
            report("suppliers", index + 1, suppliers)
        # A second organization for the first buyer shows switching between organizations.
        first_buyer = _actor_user(_email("buyer"))
        organization_create(
            user=first_buyer, kind=OrganizationKind.BUYER, name="小美跨境 (Xiaomei Cross-border)"
        )

        colours = vocab["colours"]
        for index in range(products):
            actor, fitting = supplier_actors[index % len(supplier_actors)]
            _root, leaf = fitting[rng.randrange(len(fitting))]
            entry = vocab["leaves"][leaf]
            noun = entry["nouns"][rng.randrange(len(entry["nouns"]))]
            adjective = entry["adjectives"][rng.randrange(len(entry["adjectives"]))]
            low, high = entry.get("price_cny", [5, 50])
            moq = rng.choice([1, 2, 3, 5, 10, 20, 50])
            sizes = entry.get("attributes", {}).get("size") or []
            use_colour = entry.get("attributes", {}).get("colour", True)
            variants: list[dict[str, str]] = []
            picked_colours = rng.sample(colours, k=rng.randint(1, 3)) if use_colour else [None]
            picked_sizes = (
                rng.sample(sizes, k=min(len(sizes), rng.randint(1, 3))) if sizes else [None]
            )
            for colour in picked_colours:
                for size in picked_sizes:
                    variant = {}
                    if colour:
                        variant["colour"] = colour["zh_hans"]
                    if size:
                        variant["size"] = str(size)
                    variants.append(variant)
            variants = variants[:6]
            skus = []
            for position, variant in enumerate(variants):
                ladder = _price_ladder(rng, float(low), float(high), moq)
                skus.append(
                    SkuInput(
                        code=f"HY{index + 1:05d}-{position + 1}",
                        attributes=variant,
                        stock=rng.choice([0, 50, 200, 500, 1000, 5000, 20000]),
                        moq=moq,
                        ladder=ladder,
                        dropship_price_minor=int(ladder[0].unit_price_minor * 1.25)
                        if rng.random() < 0.4
                        else None,
                        sample_price_minor=int(ladder[0].unit_price_minor * 1.5)
                        if rng.random() < 0.6
                        else None,
                    )
                )
            product_create(
                actor=actor,
                publish=rng.random() < 0.97,
                data=ProductInput(
                    category_id=category_ids[leaf],
                    skus=skus,
                    title_zh_hans=f"{adjective['zh_hans']}{noun['zh_hans']}",
                    title_en=f"{adjective['en']} {noun['en']}",
                    title_de=f"{adjective['de']} {noun['de']}",
                    description_zh_hans=f"{adjective['zh_hans']}{noun['zh_hans']}，源头工厂直供，支持混批。",
                    description_en=f"{adjective['en']} {noun['en']}, direct from the factory.",
                    description_de=f"{adjective['de']} {noun['de']}, direkt ab Werk.",
                    mixed_batch_moq=rng.choice([None, None, moq * 3]),
                    lead_time_days=rng.choice([1, 2, 3, 5, 7, 15]),
                    weight_g=rng.randint(20, 3000),
                ),
            )
            if (index + 1) % 50 == 0 or index + 1 == products:
                report("products", index + 1, products)
        if products:
            _seed_trade(rng, supplier_actors[0][0], report)
    return demo_logins()


def _seed_trade(
    rng: random.Random, supplier: Actor, report: Callable[[str, int, int], None]
) -> None:
    """A trading history for the first buyer and the first supplier: orders in every state."""
    buyer = _actor(_actor_user(_email("buyer")))
    address = address_create(
        actor=buyer,
        data=AddressInput(
            recipient="王小美",
            phone="+86 138 0571 0000",
            province="浙江省",
            city="杭州市",
            district="西湖区",
            street="文三路 398 号 小美杂货铺",
            postal_code="310013",
            label="店铺",
            is_default=True,
        ),
    )
    payout_account_set(
        actor=supplier,
        holder_name=supplier.organization_slug,
        bank_name="中国工商银行 义乌分行",
        account_number="6222021208001234567",
    )
    skus = [
        sku
        for product in product_list_for_supplier(actor=supplier, status="published", query="")[:12]
        for sku in product.skus.all()
        if sku.stock >= 1000
    ]
    if not skus:
        return
    plan = ["completed", "completed", "shipped", "paid", "paid", "pending", "bank"]
    for step, state in enumerate(plan):
        picks = rng.sample(skus, k=min(len(skus), rng.randint(1, 2)))
        for sku in picks:
            cart_add(actor=buyer, sku_id=sku.pk, quantity=max(sku.moq, rng.choice([10, 50, 120])))
        quote = cart_quote(actor=buyer)
        if not quote.ok:  # a mixed batch not reached: top the lines up to the batch
            for line in quote.lines:
                cart_set_quantity(actor=buyer, line_id=line.line_id, quantity=line.quantity * 5)
            quote = cart_quote(actor=buyer)
        submitted = checkout_submit(
            actor=buyer,
            address_id=address.pk,
            payment_method="bank_transfer" if state == "bank" else "sandbox",
            quote_token=quote.token,
            notes={supplier.organization_id: "请用纸箱包装，谢谢"},
        )
        if state not in ("pending", "bank"):
            deliver(event_body(submitted.payment, "payment.succeeded"))
        for order_id in submitted.order_ids if state in ("completed", "shipped") else []:
            order_ship(
                actor=supplier,
                order_id=order_id,
                carrier_code="sf",
                tracking_number=f"SF{1300000000 + rng.randrange(10**8)}",
            )
            if state == "completed":
                order_confirm_receipt(actor=buyer, order_id=order_id)
                review_create(
                    actor=buyer,
                    order_id=order_id,
                    scores={
                        "quality": rng.choice([4, 5, 5]),
                        "accuracy": rng.choice([4, 5]),
                        "shipping_speed": rng.choice([3, 4, 5]),
                        "communication": 5,
                    },
                    text=rng.choice(["质量很好，发货快，会回购。", "Good quality, fast shipping."]),
                )
        report("orders", step + 1, len(plan))
    # A demo's history is not news: do not email it all on the first start.
    notifications_mark_emailed()


def _actor_user(email: str) -> Any:
    return get_user_model().objects.get(email=email)
