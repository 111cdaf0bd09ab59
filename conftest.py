"""The fixed cast of every test: supplier_a, supplier_b, buyer_x, buyer_y, operator, anonymous."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from huoyuan.accounts.contracts import Actor, OrganizationKind, Role
from huoyuan.accounts.models import Membership, Organization, User
from huoyuan.accounts.selectors import actor_from_membership
from huoyuan.accounts.services import api_token_create
from huoyuan.accounts.tests.factories import PASSWORD, UserFactory
from huoyuan.catalogue.models import Category
from huoyuan.catalogue.tests.factories import CategoryFactory
from huoyuan.suppliers.models import SupplierProfile


@dataclass
class Person:
    name: str
    user: User | None = None
    organization: Organization | None = None
    actor: Actor | None = None
    token: str = ""
    client: Client = field(default_factory=Client)

    def api(self, method: str, path: str, data: Any = None, **headers: str) -> Any:
        """Call the JSON API as this person, with their bearer token."""
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        if self.token:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        caller = getattr(Client(), method.lower())
        if method.upper() == "GET":
            return caller(path, data or {}, **extra)
        if isinstance(data, dict) and any(hasattr(v, "read") for v in data.values()):
            return caller(path, data, **extra)
        return caller(
            path, data if data is not None else {}, content_type="application/json", **extra
        )


def _person(name: str, kind: str) -> Person:
    user = UserFactory(email=f"{name}@cast.test", display_name=name)
    org = Organization.objects.create(kind=kind, name=f"{name} Co.", slug=name.replace("_", "-"))
    membership = Membership.objects.create(user=user, organization=org, role=Role.OWNER)
    if kind == OrganizationKind.SUPPLIER:
        SupplierProfile.objects.create(organization=org)
    if kind == OrganizationKind.OPERATOR:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    actor = actor_from_membership(membership)
    _token, raw = api_token_create(actor=actor, name="tests")
    client = Client()
    client.force_login(user)
    return Person(name=name, user=user, organization=org, actor=actor, token=raw, client=client)


@pytest.fixture
def supplier_a(db: None) -> Person:
    return _person("supplier_a", OrganizationKind.SUPPLIER)


@pytest.fixture
def supplier_b(db: None) -> Person:
    return _person("supplier_b", OrganizationKind.SUPPLIER)


@pytest.fixture
def buyer_x(db: None) -> Person:
    return _person("buyer_x", OrganizationKind.BUYER)


@pytest.fixture
def buyer_y(db: None) -> Person:
    return _person("buyer_y", OrganizationKind.BUYER)


@pytest.fixture
def operator(db: None) -> Person:
    return _person("operator", OrganizationKind.OPERATOR)


@pytest.fixture
def anonymous() -> Person:
    return Person(name="anonymous")


@pytest.fixture
def cast(
    supplier_a: Person,
    supplier_b: Person,
    buyer_x: Person,
    buyer_y: Person,
    operator: Person,
    anonymous: Person,
) -> dict[str, Person]:
    return {p.name: p for p in (anonymous, buyer_x, buyer_y, supplier_a, supplier_b, operator)}


@pytest.fixture
def category(db: None) -> Category:
    """A two-level tree: 家居百货 Home › 餐具 Tableware (the leaf products go in)."""
    root = CategoryFactory(
        slug="home", name_zh_hans="家居百货", name_en="Home & Living", name_de="Haus & Wohnen"
    )
    return CategoryFactory.child_of(
        root, slug="tableware", name_zh_hans="餐具", name_en="Tableware", name_de="Geschirr"
    )


__all__ = ["PASSWORD", "Person"]
