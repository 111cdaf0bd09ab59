"""The authorization matrix: every page and every API operation, for each member of the cast.

One row per route (some routes have a row per method or per interesting object). Each row says how
to build the request from the shared data and which status each of the six cast members gets.
Private objects belong to supplier_a (products, images, imports) or buyer_x (members, invitations,
tokens). The rules the rows encode (CONVENTIONS.md 6-8):

- another tenant's object is a 404, and nothing changed;
- a page for another kind of organization is a 404; the API answers 403 ``{code, message}``;
- anonymous people are sent to the login page (pages) or get 401 (private API);
- public pages and endpoints answer 200 to everyone.

Every unsafe request by someone who may not write asserts that no row changed.
``test_every_route_is_in_the_matrix`` fails when a URL pattern or an API operation has no row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.core import mail
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.test import TestCase
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from config.api import api
from huoyuan.accounts.contracts import Role
from huoyuan.accounts.models import ApiToken, Invitation, Membership, Organization, User
from huoyuan.accounts.services import api_token_create, invitation_create
from huoyuan.accounts.tests.factories import MembershipFactory
from huoyuan.catalogue.importing import import_job_start
from huoyuan.catalogue.models import Category, ImportJob, PriceTier, Product, ProductImage, Sku
from huoyuan.catalogue.services import product_image_add
from huoyuan.catalogue.tests.factories import make_product
from huoyuan.core.models import AuditEvent
from huoyuan.ledger.models import Account as LedgerAccount
from huoyuan.ledger.models import Entry as LedgerEntry
from huoyuan.notifications.models import Notification
from huoyuan.orders.models import (
    Address,
    CartLine,
    Order,
    OrderEvent,
    OrderLine,
    Review,
    Shipment,
)
from huoyuan.payments.models import Payment, Payout, PayoutAccount, WebhookEvent
from huoyuan.suppliers.models import FactoryPhoto, IndustrialBelt, SupplierProfile
from huoyuan.suppliers.services import factory_photo_add
from tests.matrix import (
    CAST,
    LOGIN,
    NONE,
    SIGNUP,
    Row,
    Status,
    World,
    buyer_x_api,
    buyer_x_page,
    call,
    csv_file,
    everyone,
    expect,
    member_api,
    operator_api,
    operator_page,
    page,
    png,
    product_form,
    product_in,
    signed_in,
    supplier_a_api,
    supplier_a_page,
    supplier_api,
    supplier_page,
)
from tests.matrix_trade_api import TRADE_API_ROWS
from tests.matrix_trade_pages import TRADE_PAGE_ROWS

if TYPE_CHECKING:
    from conftest import Person


@pytest.fixture
def world(cast: dict[str, Person], category: Category) -> World:
    supplier_a, buyer_x = cast["supplier_a"].actor, cast["buyer_x"].actor
    assert supplier_a is not None
    assert buyer_x is not None
    product_a = make_product(supplier_a, category)
    draft_a = make_product(supplier_a, category, publish=False, title_en="Unpublished bowl")
    image_a = product_image_add(actor=supplier_a, product_id=product_a.pk, upload=png())
    job_a = import_job_start(actor=supplier_a, upload=csv_file(), mode="all", publish=False)
    photo_a = factory_photo_add(actor=supplier_a, upload=png("floor.png"), caption="Floor")
    staff_x = MembershipFactory(organization=cast["buyer_x"].organization, role=Role.STAFF)
    accept_url = "http://testserver" + reverse("accounts:invitation_accept_base")
    with TestCase.captureOnCommitCallbacks(execute=True):
        invitation_x = invitation_create(
            actor=buyer_x, email="invitee@cast.test", role=Role.STAFF, accept_url=accept_url
        )
    found = re.search(r"/accounts/invitations/accept/([^/\s]+)/", mail.outbox[-1].body)
    assert found is not None
    token_x, _raw = api_token_create(actor=buyer_x, name="spare")
    return World(
        cast=cast,
        category=category,
        product_a=product_a,
        draft_a=draft_a,
        image_a=image_a,
        job_a=job_a,
        photo_a=photo_a,
        staff_x=staff_x,
        invitation_x=invitation_x,
        invitation_token=found.group(1),
        token_x=token_x,
    )


# fmt: off
ROWS: list[Row] = [
    # --- core and i18n ---
    page("GET", "core:home", everyone(200)),
    page("POST", "core:set_currency", everyone(302),
         data=lambda w: {"currency": "CNY", "next": "/"}, writes=NONE),
    page("GET", "core:health", everyone(200)),
    page("GET", "core:favicon", everyone(301), note="to the static icon"),
    page("GET", "core:set_language", everyone(302),
         data=lambda w: {"language": "en", "next": "/"}, writes=NONE, note="a cookie, public"),
    # --- catalogue: public pages ---
    page("GET", "catalogue:category", everyone(200), "tableware"),
    page("GET", "catalogue:product", everyone(200), "product_a"),
    page("GET", "catalogue:product", everyone(404), "draft_a", note="supplier_a's draft"),
    page("GET", "search:results", everyone(200), data=lambda w: {"q": "bowl"}),
    # --- catalogue: supplier workbench ---
    page("GET", "catalogue:workbench_products", supplier_page(200)),
    page("GET", "catalogue:workbench_product_new", supplier_page(200)),
    page("POST", "catalogue:workbench_product_new", supplier_page(302), data=product_form),
    page("GET", "catalogue:workbench_product_edit", supplier_a_page(200), "product_a"),
    page("POST", "catalogue:workbench_product_edit", supplier_a_page(302), "product_a",
         data=lambda w: product_form(w, title="Renamed bowl")),
    page("POST", "catalogue:workbench_product_status", supplier_a_page(302), "product_a",
         data=lambda w: {"status": "archived"}),
    page("POST", "catalogue:workbench_product_image_add", supplier_a_page(302), "product_a",
         data=lambda w: {"image": png()}),
    page("POST", "catalogue:workbench_product_image_delete", supplier_a_page(302),
         "product_a", "image_a"),
    page("GET", "catalogue:workbench_imports", supplier_page(200)),
    page("POST", "catalogue:workbench_imports", supplier_page(302),
         data=lambda w: {"file": csv_file(), "mode": "all"}),
    page("GET", "catalogue:workbench_import", supplier_a_page(200), "job_a"),
    # --- suppliers ---
    page("GET", "suppliers:storefront", everyone(200), "supplier-a"),
    page("GET", "suppliers:storefront", everyone(404), "buyer-x", note="a buyer has none"),
    page("GET", "suppliers:list", everyone(200)),
    page("GET", "suppliers:workbench_profile", supplier_page(200)),
    page("POST", "suppliers:workbench_profile", supplier_page(302),
         data=lambda w: {"business_type": "factory", "tagline": "Bowls since 1998"}),
    page("POST", "suppliers:workbench_logo", supplier_page(302),
         data=lambda w: {"logo": png("logo.png")}),
    page("POST", "suppliers:workbench_photo_add", supplier_page(302),
         data=lambda w: {"photo": png("hall.png"), "caption": "Hall"}),
    page("POST", "suppliers:workbench_photo_delete", supplier_a_page(302), "photo_a"),
    page("GET", "suppliers:verification_queue", operator_page(200)),
    page("POST", "suppliers:verification_queue", operator_page(302),
         data=lambda w: {"organization_id": w.ref("org:supplier_a"), "level": 1}),
    # --- accounts ---
    page("GET", "accounts:signup", expect(302, anonymous=200)),
    page("POST", "accounts:signup", everyone(302),
         data=lambda w: SIGNUP, writes=frozenset({"anonymous"})),
    page("GET", "accounts:login", expect(302, anonymous=200)),
    page("POST", "accounts:logout", everyone(302), writes=NONE),
    page("GET", "accounts:password_reset", everyone(200)),
    page("GET", "accounts:password_reset_done", everyone(200)),
    page("GET", "accounts:password_reset_confirm", everyone(200), "MQ", "no-such-token",
         note="an invalid link says so"),
    page("GET", "accounts:password_reset_complete", everyone(200)),
    page("GET", "accounts:profile", signed_in(200)),
    page("POST", "accounts:profile", signed_in(302),
         data=lambda w: {"display_name": "Renamed", "phone": "", "preferred_language": ""}),
    page("GET", "accounts:organizations", signed_in(200)),
    page("POST", "accounts:organizations", signed_in(302),
         data=lambda w: {"kind": "buyer", "name": "Second shop"}),
    page("POST", "accounts:organization_switch", buyer_x_page(302),
         data=lambda w: {"organization": w.ref("org:buyer_x")}, writes=NONE),
    page("GET", "accounts:members", signed_in(200)),
    page("POST", "accounts:members", signed_in(302),
         data=lambda w: {"email": "invitee2@cast.test", "role": "staff"}),
    page("POST", "accounts:member_action", buyer_x_page(302), "staff_x",
         data=lambda w: {"action": "role", "role": "admin"}, note="change role"),
    page("POST", "accounts:member_action", buyer_x_page(302), "staff_x",
         data=lambda w: {"action": "remove"}, note="remove"),
    page("POST", "accounts:invitation_revoke", buyer_x_page(302), "invitation_x"),
    page("GET", "accounts:invitation_accept_base", signed_in(404), note="no token"),
    page("GET", "accounts:invitation_accept", signed_in(200), "invitation_token",
         note="the token is the capability"),
    page("POST", "accounts:invitation_accept", signed_in(400), "invitation_token",
         note="sent to another email address"),
    page("GET", "accounts:tokens", signed_in(200)),
    page("POST", "accounts:tokens", signed_in(200), data=lambda w: {"name": "cli"}),
    page("POST", "accounts:token_revoke", buyer_x_page(302), "token_x"),
    # --- the API's own pages ---
    page("GET", "api:openapi-json", everyone(200)),
    page("GET", "api:openapi-view", everyone(200)),
    page("GET", "api:api-root", everyone(404), note="ninja's placeholder root"),
    # --- API: public ---
    call("GET", "/api/exchange-rates", everyone(200)),
    call("GET", "/api/categories", everyone(200)),
    call("GET", "/api/categories/{slug}", everyone(200), "tableware"),
    call("GET", "/api/products", everyone(200)),
    call("GET", "/api/products/{product_id}", everyone(200), "product_a"),
    call("GET", "/api/products/{product_id}", everyone(404), "draft_a", note="supplier_a's draft"),
    call("GET", "/api/products/{product_id}/price", everyone(200), "product_a",
         data=lambda w: {"sku": "BOWL-RED", "quantity": 120}),
    call("GET", "/api/belts", everyone(200)),
    call("GET", "/api/suppliers", everyone(200)),
    call("GET", "/api/suppliers/{slug}", everyone(200), "supplier-a"),
    call("GET", "/api/suppliers/{slug}", everyone(404), "buyer-x", note="a buyer is no supplier"),
    call("GET", "/api/suppliers/{slug}/products", everyone(200), "supplier-a"),
    call("GET", "/api/search/products", everyone(200), data=lambda w: {"q": "bowl"}),
    # --- API: accounts (any organization) ---
    call("GET", "/api/me", member_api(200)),
    call("GET", "/api/organization/members", member_api(200)),
    call("POST", "/api/organization/members/{membership_id}/role", buyer_x_api(200), "staff_x",
         data=lambda w: {"role": "admin"}),
    call("DELETE", "/api/organization/members/{membership_id}", buyer_x_api(200), "staff_x"),
    call("GET", "/api/organization/invitations", member_api(200)),
    call("POST", "/api/organization/invitations", member_api(201),
         data=lambda w: {"email": "invitee3@cast.test", "role": "staff"}),
    call("DELETE", "/api/organization/invitations/{invitation_id}", buyer_x_api(200),
         "invitation_x"),
    call("GET", "/api/tokens", member_api(200)),
    call("POST", "/api/tokens", member_api(201), data=lambda w: {"name": "ci"}),
    call("DELETE", "/api/tokens/{token_id}", buyer_x_api(200), "token_x"),
    # --- API: supplier catalogue ---
    call("GET", "/api/supplier/products", supplier_api(200)),
    call("POST", "/api/supplier/products", supplier_api(201), data=lambda w: product_in()),
    call("GET", "/api/supplier/products/{product_id}", supplier_a_api(200), "product_a"),
    call("PUT", "/api/supplier/products/{product_id}", supplier_a_api(200), "product_a",
         data=lambda w: product_in("Renamed bowl")),
    call("POST", "/api/supplier/products/{product_id}/status", supplier_a_api(200), "product_a",
         data=lambda w: {"status": "archived"}),
    call("POST", "/api/supplier/products/{product_id}/images", supplier_a_api(201), "product_a",
         data=lambda w: {"image": png()}),
    call("DELETE", "/api/supplier/products/{product_id}/images/{image_id}", supplier_a_api(200),
         "product_a", "image_a"),
    call("GET", "/api/supplier/imports", supplier_api(200)),
    call("POST", "/api/supplier/imports", supplier_api(202), data=lambda w: {"file": csv_file()}),
    call("GET", "/api/supplier/imports/{job_id}", supplier_a_api(200), "job_a"),
    # --- API: supplier profile ---
    call("GET", "/api/supplier/profile", supplier_api(200)),
    call("PUT", "/api/supplier/profile", supplier_api(200),
         data=lambda w: {"tagline": "Bowls since 1998"}),
    call("POST", "/api/supplier/profile/logo", supplier_api(200),
         data=lambda w: {"logo": png("logo.png")}),
    call("POST", "/api/supplier/profile/verification-request", supplier_api(200)),
    call("GET", "/api/supplier/profile/photos", supplier_api(200)),
    call("POST", "/api/supplier/profile/photos", supplier_api(201),
         data=lambda w: {"photo": png("hall.png"), "caption": "Hall"}),
    call("DELETE", "/api/supplier/profile/photos/{photo_id}", supplier_a_api(200), "photo_a"),
    # --- API: operator ---
    call("GET", "/api/operator/verification-queue", operator_api(200)),
    call("POST", "/api/operator/suppliers/{organization_id}/verification", operator_api(200),
         "org:supplier_a", data=lambda w: {"level": 1}),
]
# fmt: on
ROWS += TRADE_API_ROWS + TRADE_PAGE_ROWS


def _cells() -> Iterator[Any]:
    for row in ROWS:
        for person in CAST:
            marks = []
            if person in row.bugs:
                marks.append(pytest.mark.xfail(strict=True, reason=row.bugs[person]))
            yield pytest.param(row, person, marks=marks, id=f"{row.id} [{person}]")


# --- what "nothing changed" means -----------------------------------------------------------

# Bookkeeping that moves on any authenticated request is left out: last login, token last use.
SNAPSHOT: list[tuple[type[Any], tuple[str, ...]]] = [
    (User, ("last_login",)),
    (Organization, ()),
    (Membership, ()),
    (Invitation, ()),
    (ApiToken, ("last_used_at",)),
    (SupplierProfile, ()),
    (IndustrialBelt, ()),
    (Category, ()),
    (Product, ()),
    (Sku, ()),
    (PriceTier, ()),
    (ProductImage, ()),
    (ImportJob, ()),
    (FactoryPhoto, ()),
    (Address, ()),
    (CartLine, ("updated_at",)),
    (Order, ()),
    (OrderLine, ()),
    (OrderEvent, ()),
    (Shipment, ()),
    (Review, ()),
    (Payment, ()),
    (Payout, ()),
    (PayoutAccount, ("updated_at",)),
    (WebhookEvent, ()),
    (LedgerAccount, ()),
    (LedgerEntry, ()),
    (Notification, ()),
    (AuditEvent, ()),
]


def snapshot() -> dict[str, list[dict[str, Any]]]:
    state = {}
    for model, skip in SNAPSHOT:
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in skip]
        state[model.__name__] = list(model.objects.order_by("pk").values(*fields))
    return state


# --- running a cell --------------------------------------------------------------------------


def request(row: Row, person: Person, url: str, data: Any) -> HttpResponse:
    if row.kind == "api":
        return person.api(row.method, url, data)
    if row.method == "GET":
        return person.client.get(url, data or {})
    assert row.method == "POST", "pages change things with POST only"
    return person.client.post(url, data or {})


API_DENIAL_CODES = {401: "unauthenticated", 403: "wrong_organization_kind", 404: "not_found"}


def assert_status(row: Row, response: HttpResponse, expected: Status) -> None:
    login = resolve_url(settings.LOGIN_URL)
    location = response.get("Location", "")
    if expected == LOGIN:
        assert (response.status_code, location.split("?")[0]) == (302, login)
        return
    assert response.status_code == expected
    if expected == 302:
        assert not location.startswith(login), "sent to the login page instead"
    if row.kind == "api" and expected in API_DENIAL_CODES:
        body = response.json()
        assert set(body) >= {"code", "message"}
        assert body["code"] == API_DENIAL_CODES[expected]
        assert body["message"]


@pytest.mark.parametrize(("row", "person"), list(_cells()))
def test_authorization(row: Row, person: str, world: World) -> None:
    who = world.cast[person]
    # Resolve arguments first: that may build the trade world, which is not the request's doing.
    url = row.url(world)
    data = row.data(world) if row.data else None
    unsafe = row.method != "GET"
    before = snapshot() if unsafe else None
    response = request(row, who, url, data)
    assert_status(row, response, row.expect[person])
    if before is not None and not row.may_write(person):
        assert snapshot() == before, "a request that may not write changed data"


# --- the meta-test ---------------------------------------------------------------------------

SKIPPED = re.compile(r"^\^?(admin|static|media)/")


def _url_patterns() -> Iterator[tuple[str, str | None]]:
    """(route, name) of every URL pattern, namespaced names included."""

    def walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[tuple[str, str | None]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(n for n in (namespace, pattern.namespace) if n)
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                name = pattern.name and (
                    f"{namespace}:{pattern.name}" if namespace else pattern.name
                )
                yield prefix + str(pattern.pattern), name

    yield from walk(get_resolver().url_patterns, "", "")


def _api_operations() -> set[tuple[str, str]]:
    get_resolver().url_patterns  # loading the URLconf binds the API's routers  # noqa: B018
    root = reverse("api:api-root").rstrip("/")
    operations = set()
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for method in operation.methods:
                    operations.add((method.upper(), re.sub("/+", "/", f"{root}/{prefix}/{path}")))
    return operations


def _as_template(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def test_every_route_is_in_the_matrix() -> None:
    operations = _api_operations()
    operation_paths = {path for _method, path in operations}
    page_keys = {row.key for row in ROWS if row.kind == "page"}
    api_keys = {row.key for row in ROWS if row.kind == "api"}

    missing: list[str] = []
    pages: set[str] = set()
    for route, name in _url_patterns():
        if SKIPPED.match(route) or _as_template(route) in operation_paths:
            continue  # API operations are checked one method at a time below
        key = name or route
        pages.add(key)
        if key not in page_keys:
            missing.append(f"page {key} ({route})")
    missing += [f"api {method} {path}" for method, path in sorted(operations - api_keys)]
    stale = [f"page {key}" for key in sorted(page_keys - pages)]
    stale += [f"api {method} {path}" for method, path in sorted(api_keys - operations)]  # type: ignore[misc]

    assert not missing, "routes without a row in the authorization matrix:\n" + "\n".join(missing)
    assert not stale, "matrix rows for routes that no longer exist:\n" + "\n".join(stale)


def test_every_row_names_all_six_people() -> None:
    for row in ROWS:
        assert tuple(row.expect) == CAST, row.id
        assert set(row.bugs) <= set(CAST), row.id
