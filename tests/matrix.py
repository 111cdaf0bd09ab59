"""The authorization matrix's vocabulary: the cast, the shared objects and the row helpers.

Rows live in ``test_authorization_matrix.py`` (foundation) and ``matrix_trade_*.py`` (trade loop);
see the test module's docstring for the rules they encode.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from huoyuan.accounts.models import ApiToken, Invitation, Membership
from huoyuan.catalogue.models import Category, ImportJob, Product, ProductImage
from huoyuan.suppliers.models import FactoryPhoto
from tests.matrix_trade_world import TradeWorld, build_trade

if TYPE_CHECKING:
    from conftest import Person

CAST = ("anonymous", "buyer_x", "buyer_y", "supplier_a", "supplier_b", "operator")
LOGIN = "login"  # a 302 to the login page
Status = int | str
DENIALS: set[Status] = {LOGIN, 400, 401, 403, 404, 405}

# --- test data -------------------------------------------------------------------------------


def png(name: str = "pixel.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (180, 30, 40)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def csv_file() -> SimpleUploadedFile:
    content = (
        "product_ref,category,title_en,sku_code,stock,ladder\nP1,tableware,Cup,CUP-1,10,2:3.50\n"
    )
    return SimpleUploadedFile("products.csv", content.encode(), content_type="text/csv")


@dataclass
class World:
    """The objects rows point at; private ones belong to supplier_a or buyer_x."""

    cast: dict[str, Person]
    category: Category
    product_a: Product
    draft_a: Product
    image_a: ProductImage
    job_a: ImportJob
    photo_a: FactoryPhoto
    staff_x: Membership
    invitation_x: Invitation
    invitation_token: str
    token_x: ApiToken

    _trade: TradeWorld | None = None

    @property
    def trade(self) -> TradeWorld:
        """Orders, payments, payouts, ...: built on first use, before the request is made."""
        if self._trade is None:
            self._trade = build_trade(self.cast, self.product_a)
        return self._trade

    def ref(self, ref: str) -> Any:
        """A URL argument: "org:<person>" is their organization's id, a field name its object's
        id (or the value itself), anything else is taken literally (slugs)."""
        if ref in TradeWorld.__dataclass_fields__:
            value = getattr(self.trade, ref)
            return getattr(value, "pk", value)
        if ref.startswith("org:"):
            organization = self.cast[ref[4:]].organization
            assert organization is not None
            return organization.pk
        if ref in self.__dataclass_fields__:
            value = getattr(self, ref)
            return getattr(value, "pk", value)
        return ref


def product_form(w: World, title: str = "Matrix bowl") -> dict[str, Any]:
    """What the workbench product form posts: the product fields plus one SKU row."""
    return {
        "category": w.category.pk,
        "title_en": title,
        "currency": "CNY",
        "lead_time_days": 3,
        "sku-TOTAL_FORMS": 1,
        "sku-INITIAL_FORMS": 0,
        "sku-MIN_NUM_FORMS": 1,
        "sku-MAX_NUM_FORMS": 100,
        "sku-0-code": "MX-1",
        "sku-0-stock": 10,
        "sku-0-moq": 2,
        "sku-0-q1": 2,
        "sku-0-p1": "12.50",
    }


def product_in(title: str = "Matrix bowl") -> dict[str, Any]:
    """A valid ProductIn body."""
    return {
        "category": "tableware",
        "title_en": title,
        "skus": [
            {
                "code": "MX-1",
                "attributes": {"colour": "Red"},
                "stock": 10,
                "moq": 2,
                "ladder": [{"min_quantity": 2, "unit_price": "12.50"}],
            }
        ],
    }


# --- the table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    kind: str  # "page" or "api"
    method: str
    key: str | tuple[str, str]  # URL name (pages) or (METHOD, path template) (API operations)
    expect: dict[str, Status]
    refs: tuple[str, ...] = ()  # the URL's arguments, see World.ref
    data: Callable[[World], Any] | None = None
    note: str = ""
    # Who may change data with this request; None: everyone whose answer is not a denial.
    writes: frozenset[str] | None = None
    bugs: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        target = self.key if isinstance(self.key, str) else self.key[1]
        return f"{self.kind} {self.method} {target}" + (f" ({self.note})" if self.note else "")

    def url(self, w: World) -> str:
        args = [w.ref(ref) for ref in self.refs]
        if isinstance(self.key, str):
            return reverse(self.key, args=args)
        values = iter(args)
        return re.sub(r"\{\w+\}", lambda _match: str(next(values)), self.key[1])

    def may_write(self, person: str) -> bool:
        if self.writes is not None:
            return person in self.writes
        return self.expect[person] not in DENIALS


def page(method: str, name: str, expected: dict[str, Status], *refs: str, **kw: Any) -> Row:
    return Row("page", method, name, expected, refs, **kw)


def call(method: str, path: str, expected: dict[str, Status], *refs: str, **kw: Any) -> Row:
    return Row("api", method, (method, path), expected, refs, **kw)


def expect(default: Status, **cells: Status) -> dict[str, Status]:
    unknown = set(cells) - set(CAST)
    assert not unknown, unknown
    return {person: cells.get(person, default) for person in CAST}


def everyone(status: Status) -> dict[str, Status]:
    return expect(status)


def signed_in(status: Status) -> dict[str, Status]:
    """Any member of any organization; anonymous goes to the login page."""
    return expect(status, anonymous=LOGIN)


def supplier_page(status: Status) -> dict[str, Status]:
    return expect(404, anonymous=LOGIN, supplier_a=status, supplier_b=status)


def supplier_a_page(status: Status) -> dict[str, Status]:
    """supplier_a's object: supplier_b is another tenant, the others the wrong kind."""
    return expect(404, anonymous=LOGIN, supplier_a=status)


def buyer_x_page(status: Status) -> dict[str, Status]:
    return expect(404, anonymous=LOGIN, buyer_x=status)


def operator_page(status: Status) -> dict[str, Status]:
    return expect(404, anonymous=LOGIN, operator=status)


def member_api(status: int) -> dict[str, Status]:
    return expect(status, anonymous=401)


def supplier_api(status: int) -> dict[str, Status]:
    return expect(403, anonymous=401, supplier_a=status, supplier_b=status)


def supplier_a_api(status: int) -> dict[str, Status]:
    return expect(403, anonymous=401, supplier_a=status, supplier_b=404)


def buyer_x_api(status: int) -> dict[str, Status]:
    return expect(404, anonymous=401, buyer_x=status)


def operator_api(status: int) -> dict[str, Status]:
    return expect(403, anonymous=401, operator=status)


def bug(reason: str, *people: str) -> dict[str, str]:
    return dict.fromkeys(people, reason)


NONE = frozenset[str]()
SIGNUP = {
    "email": "newcomer@cast.test",
    "password": "correct-horse-battery-9",
    "organization_kind": "buyer",
    "organization_name": "Newcomer Shop",
}
