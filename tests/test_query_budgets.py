"""Query budgets: every list runs the same number of queries for 3 products as for 25.

Each budget requests its page or endpoint once to warm caches (exchange rates, a token's last
use), counts the queries of a second request at the small size, grows the data (more products
with more SKUs and images, across more suppliers and industrial belts, more members, tokens,
imports, ...), and counts again. Equal counts prove there is no N+1; the ceiling pins the number
so a new query shows up in review (CONVENTIONS.md 9). Lower a ceiling when a list gets cheaper.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image

from huoyuan.accounts.contracts import Actor, OrganizationKind, Role
from huoyuan.accounts.models import Membership
from huoyuan.accounts.selectors import actor_from_membership
from huoyuan.accounts.services import api_token_create, invitation_create, organization_create
from huoyuan.accounts.tests.factories import MembershipFactory, UserFactory
from huoyuan.catalogue.importing import import_job_start
from huoyuan.catalogue.models import Category, Product
from huoyuan.catalogue.services import product_image_add
from huoyuan.catalogue.tests.factories import CategoryFactory, make_product, sku
from huoyuan.suppliers.models import IndustrialBelt
from huoyuan.suppliers.services import (
    belts_load,
    factory_photo_add,
    supplier_profile_update,
    verification_request,
    verification_set,
)

if TYPE_CHECKING:
    from conftest import Person

pytestmark = pytest.mark.django_db

COLOURS = ["Black", "White", "Red", "Blue", "Green", "Grey"]


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (40, 90, 160)).save(buffer, "PNG")
    return SimpleUploadedFile("pixel.png", buffer.getvalue(), content_type="image/png")


def csv_file() -> SimpleUploadedFile:
    content = (
        "product_ref,category,title_en,sku_code,stock,ladder\nP1,tableware,Cup,CUP-1,10,2:3.50\n"
    )
    return SimpleUploadedFile("products.csv", content.encode(), content_type="text/csv")


@dataclass(frozen=True)
class Size:
    products: int
    skus: int  # per product added at this size
    images: int  # per product added at this size
    suppliers: int  # besides supplier_a and supplier_b
    belts: int
    categories: int  # besides the fixture's two
    imports: int
    members: int  # besides the owner
    invitations: int
    tokens: int  # besides the cast's own
    organizations: int  # besides the cast's own
    photos: int  # supplier_a's factory photos


SMALL = Size(
    products=3,
    skus=2,
    images=1,
    suppliers=1,
    belts=2,
    categories=1,
    imports=1,
    members=1,
    invitations=1,
    tokens=1,
    organizations=1,
    photos=1,
)
LARGE = Size(
    products=25,
    skus=4,
    images=2,
    suppliers=6,
    belts=6,
    categories=12,
    imports=8,
    members=8,
    invitations=6,
    tokens=8,
    organizations=6,
    photos=5,
)


class Market:
    """Grows the same shape of data from one size to a larger one, through the services."""

    def __init__(self, cast: dict[str, Person], category: Category, workdir: Path) -> None:
        self.cast = cast
        self.category = category
        self.second_category = CategoryFactory.child_of(
            category.parent, slug="cups", name_en="Cups"
        )
        self.workdir = workdir
        self.belts: list[IndustrialBelt] = []
        self.suppliers: list[Actor] = [self.actor("supplier_a"), self.actor("supplier_b")]
        self.extra_suppliers = 0
        self.products = self.categories = self.imports = self.members = 0
        self.invitations = self.tokens = self.organizations = self.photos = 0
        verification_request(actor=self.actor("supplier_a"))
        verification_set(
            actor=self.actor("operator"), organization_id=self.suppliers[1].organization_id, level=1
        )

    def actor(self, name: str) -> Actor:
        actor = self.cast[name].actor
        assert actor is not None
        return actor

    def grow_to(self, size: Size) -> None:
        self._belts(size.belts)
        while self.extra_suppliers < size.suppliers:
            self._add_supplier()
        for index, supplier in enumerate(self.suppliers):
            supplier_profile_update(
                actor=supplier, data={"belt_id": self.belts[index % len(self.belts)].pk}
            )
        while self.categories < size.categories:
            self.categories += 1
            CategoryFactory.child_of(self.category.parent, slug=f"extra-{self.categories}")
        while self.products < size.products:
            self._add_product(size)
        buyer_x = self.actor("buyer_x")
        while self.imports < size.imports:
            self.imports += 1
            import_job_start(
                actor=self.actor("supplier_a"), upload=csv_file(), mode="all", publish=False
            )
        while self.members < size.members:
            self.members += 1
            MembershipFactory(organization_id=buyer_x.organization_id, role=Role.STAFF)
        while self.invitations < size.invitations:
            self.invitations += 1
            invitation_create(
                actor=buyer_x,
                email=f"invitee{self.invitations}@cast.test",
                role=Role.STAFF,
                accept_url="http://testserver/accounts/invitations/accept/",
            )
        while self.photos < size.photos:
            self.photos += 1
            factory_photo_add(
                actor=self.actor("supplier_a"), upload=png(), caption=f"Hall {self.photos}"
            )
        while self.tokens < size.tokens:
            self.tokens += 1
            api_token_create(actor=buyer_x, name=f"script {self.tokens}")
        user = self.cast["buyer_x"].user
        assert user is not None
        while self.organizations < size.organizations:
            self.organizations += 1
            # Named to sort after "buyer_x Co." so buyer_x keeps acting for it.
            organization_create(
                user=user, kind=OrganizationKind.BUYER, name=f"zz shop {self.organizations}"
            )

    def _belts(self, count: int) -> None:
        rows = [
            {"slug": f"belt-{n}", "zh_hans": f"产业带{n}", "en": f"Belt {n}", "de": f"Gürtel {n}"}
            for n in range(count)
        ]
        path = self.workdir / "belts.json"
        path.write_text(json.dumps(rows), encoding="utf-8")
        belts_load(path=path)
        self.belts = list(IndustrialBelt.objects.order_by("position"))

    def _add_supplier(self) -> None:
        self.extra_suppliers += 1
        n = self.extra_suppliers
        user = UserFactory()
        org = organization_create(user=user, kind=OrganizationKind.SUPPLIER, name=f"Factory {n}")
        actor = actor_from_membership(Membership.objects.get(user=user, organization=org))
        self.suppliers.append(actor)
        if n % 2:
            verification_request(actor=actor)
        else:
            verification_set(actor=self.actor("operator"), organization_id=org.pk, level=2)

    def _add_product(self, size: Size) -> Product:
        self.products += 1
        n = self.products
        supplier = self.suppliers[(n - 1) % len(self.suppliers)]
        product = make_product_with(
            supplier, self.category if n % 2 else self.second_category, n, size.skus
        )
        for _ in range(size.images):
            product_image_add(actor=supplier, product_id=product.pk, upload=png())
        return product


def make_product_with(supplier: Actor, category: Category, n: int, skus: int) -> Product:
    return make_product(
        supplier,
        category,
        title_en=f"Ceramic bowl {n}",
        title_zh_hans=f"陶瓷碗{n}",
        skus=[
            sku(
                f"B{n}-{k}",
                attributes={"colour": COLOURS[k % len(COLOURS)]},
                dropship_price_minor=1500 if k % 2 else None,
                sample_price_minor=900,
            )
            for k in range(skus)
        ],
    )


@pytest.fixture
def market(cast: dict[str, Person], category: Category, tmp_path: Path) -> Market:
    return Market(cast, category, tmp_path)


def count_queries(fetch: Callable[[], HttpResponse]) -> tuple[int, HttpResponse]:
    fetch()  # warm the caches so both sizes measure the same work
    with CaptureQueriesContext(connection) as captured:
        response = fetch()
    assert response.status_code == 200, response.content[:500]
    return len(captured.captured_queries), response


# --- the budgets -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    name: str
    who: str
    kind: str  # "page" (Django test client, session) or "api" (bearer token)
    path: str
    ceiling: int
    items: str  # the page's context variable holding the list ("count" in the API's answer)
    params: dict[str, str] | None = None
    # Where the N+1 is, for a budget known to fail: it becomes xfail(strict=True).
    n_plus_one: str = ""

    def fetch(self, person: Person) -> Callable[[], HttpResponse]:
        if self.kind == "api":
            return lambda: person.api("GET", self.path, self.params)
        client = person.client if person.user is not None else Client()
        return lambda: client.get(self.path, self.params or {})

    def items_in(self, response: HttpResponse) -> int:
        """How many rows the list holds, to prove that the data really grew."""
        answer = response.json() if self.kind == "api" else response.context  # type: ignore[attr-defined]
        listed = answer[self.items]
        if isinstance(listed, int):
            return listed
        return listed.paginator.count if hasattr(listed, "paginator") else len(listed)


def page(name: str, who: str, path: str, ceiling: int, items: str, **params: str) -> Budget:
    return Budget(name, who, "page", path, ceiling, items, params or None)


def endpoint(who: str, path: str, ceiling: int, **params: str) -> Budget:
    return Budget(f"GET {path}", who, "api", path, ceiling, "count", params or None)


# fmt: off
BUDGETS = [
    page("home page", "anonymous", "/", 6, "newest"),
    page("category page", "anonymous", "/c/home/", 8, "page"),
    page("search page", "anonymous", "/search/", 5, "page", q="bowl"),
    page("storefront", "anonymous", "/s/supplier-a/", 6, "page"),
    page("supplier list", "anonymous", "/suppliers/", 4, "page"),
    page("workbench product list", "supplier_a", "/workbench/products/", 7, "page"),
    page("workbench imports list", "supplier_a", "/workbench/imports/", 6, "page"),
    page("company profile with photos", "supplier_a", "/workbench/profile/", 7, "photos"),
    page("verification queue page", "operator", "/operator/verification/", 6, "page"),
    page("members page", "buyer_x", "/accounts/members/", 6, "members"),
    page("tokens page", "buyer_x", "/accounts/tokens/", 5, "tokens"),
    page("organizations page", "buyer_x", "/accounts/organizations/", 5, "memberships"),
    endpoint("anonymous", "/api/products", 3),
    endpoint("anonymous", "/api/search/products", 3, q="bowl"),
    endpoint("anonymous", "/api/categories", 2),
    endpoint("anonymous", "/api/belts", 2),
    endpoint("anonymous", "/api/suppliers", 2),
    endpoint("anonymous", "/api/suppliers/supplier-a/products", 5),
    endpoint("supplier_a", "/api/supplier/products", 5),
    endpoint("supplier_a", "/api/supplier/imports", 4),
    endpoint("supplier_a", "/api/supplier/profile/photos", 4),
    endpoint("buyer_x", "/api/organization/members", 4),
    endpoint("buyer_x", "/api/tokens", 4),
    endpoint("operator", "/api/operator/verification-queue", 4),
]
# fmt: on


def _params() -> list[Any]:
    return [
        pytest.param(
            budget,
            id=budget.name,
            marks=[pytest.mark.xfail(strict=True, reason=f"N+1: {budget.n_plus_one}")]
            if budget.n_plus_one
            else [],
        )
        for budget in BUDGETS
    ]


@pytest.mark.parametrize("budget", _params())
def test_list_runs_a_fixed_number_of_queries(budget: Budget, market: Market) -> None:
    fetch = budget.fetch(market.cast[budget.who])
    market.grow_to(SMALL)
    small, response = count_queries(fetch)
    rows_small = budget.items_in(response)
    market.grow_to(LARGE)
    large, response = count_queries(fetch)
    assert budget.items_in(response) > rows_small > 0, "the list did not grow"
    assert small == large, (
        f"{budget.name}: {small} queries at the small size, {large} at the large one"
    )
    assert large <= budget.ceiling


@pytest.mark.parametrize(
    ("kind", "ceiling"),
    [
        pytest.param("page", 6, id="product page"),
        pytest.param("api", 4, id="GET /api/products/{id}"),
    ],
)
def test_product_detail_costs_the_same_for_2_and_6_skus(
    kind: str, ceiling: int, market: Market
) -> None:
    market.grow_to(SMALL)
    counts = []
    for skus, images in ((2, 1), (6, 3)):
        supplier = market.actor("supplier_a")
        product = make_product_with(supplier, market.category, 100 + skus, skus)
        for _ in range(images):
            product_image_add(actor=supplier, product_id=product.pk, upload=png())
        path = f"/api/products/{product.pk}" if kind == "api" else f"/p/{product.pk}/"
        budget = Budget("product", "anonymous", kind, path, ceiling, "skus")
        queries, response = count_queries(budget.fetch(market.cast["anonymous"]))
        assert budget.items_in(response) == skus
        counts.append(queries)
    assert counts[0] == counts[1], f"2 SKUs: {counts[0]} queries, 6 SKUs: {counts[1]}"
    assert counts[1] <= ceiling
