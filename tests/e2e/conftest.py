"""Browser fixtures for the e2e tests: one chromium per session, a fresh context per visitor.

Chromium is Debian's (``apt-get install chromium fonts-noto-cjk``), never a ``playwright install``
download, so the tests run offline and on the same browser build the CI image ships.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API drives the browser from a greenlet with an event loop, and Django's ORM
# refuses to run when it sees one. The test thread only seeds data and reads it back, so allow it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import (  # noqa: E402 - the variable above must be set first
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Response,
    expect,
    sync_playwright,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
TIMEOUT_MS = 10_000
# Every document reports CSP violations into window.__csp and, at once, to the test process (so a
# violation on a page the test has already left is not lost).
CSP_LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  const v = {directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
             line: e.lineNumber, sample: e.sample, page: document.location.href};
  window.__csp.push(v);
  if (window.__huoyuanReportCsp) { window.__huoyuanReportCsp(v); }
}, true);
"""


@dataclass
class BrowserProblems:
    """What went wrong in the browser, across every context a test opened."""

    console_errors: list[str] = field(default_factory=list)
    csp_violations: list[dict[str, Any]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[Any]]:
        return {
            "console_errors": self.console_errors,
            "csp_violations": self.csp_violations,
            "page_errors": self.page_errors,
            "server_errors": self.server_errors,
        }

    def collect_from(self, page: Page) -> None:
        """Read window.__csp of the page still open (belt and braces with the binding)."""
        try:
            found = page.evaluate("window.__csp || []")
        except Error:
            return
        for violation in found:
            if violation not in self.csp_violations:
                self.csp_violations.append(violation)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed: apt-get install -y chromium fonts-noto-cjk")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def new_visitor(
    browser: Browser, live_server: Any, browser_problems: BrowserProblems
) -> Iterator[Callable[..., Page]]:
    """``new_visitor()`` opens a fresh browser context (no cookies) and returns its page.

    Visitors browse in Simplified Chinese by default, the marketplace's first language.
    """
    contexts: list[BrowserContext] = []
    expect.set_options(timeout=TIMEOUT_MS)

    def on_console(message: ConsoleMessage) -> None:
        url = str(message.location.get("url") or "")
        if message.type != "error":
            return
        browser_problems.console_errors.append(f"{message.text} ({url})")

    def on_csp_violation(violation: dict[str, Any]) -> None:
        browser_problems.csp_violations.append(violation)

    def on_response(response: Response) -> None:
        if response.status >= 500:
            browser_problems.server_errors.append(f"{response.status} {response.url}")

    def open_visitor(*, locale: str = "zh-CN") -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            locale=locale,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_LISTENER)
        context.expose_function("__huoyuanReportCsp", on_csp_violation)
        context.on("console", on_console)
        context.on("weberror", lambda error: browser_problems.page_errors.append(str(error.error)))
        context.on("response", on_response)
        contexts.append(context)
        return context.new_page()

    yield open_visitor
    for context in contexts:
        for page in context.pages:
            browser_problems.collect_from(page)
        context.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """``screenshot(page, "signup")`` saves test-artifacts/e2e/<test>-NN-signup.png (full page)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    test_name = re.sub(r"[^A-Za-z0-9_-]+", "_", request.node.name)
    counter = iter(range(1, 100))

    def take(page: Page, step: str) -> Path:
        path = ARTIFACTS / f"{test_name}-{next(counter):02d}-{step}.png"
        # caret="initial": Playwright hides the caret by setting an inline style on every input
        # and leaves ``style=""`` behind; htmx's attribute settling then copies that attribute
        # onto swapped-in inputs, which the CSP (style-src-attr) rightly blocks. No real browser
        # does this, so a screenshot must not cause a violation the test would then report.
        page.screenshot(path=str(path), full_page=True, caret="initial")
        return path

    return take
