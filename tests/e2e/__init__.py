"""End-to-end browser tests: Playwright drives Debian's chromium against the live server."""
