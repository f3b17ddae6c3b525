"""Real-browser tests: Playwright for Python driving Debian's Chromium (no downloads).

Skipped when /usr/bin/chromium is missing, unless REQUIRE_BROWSER=1 (CI sets it), in
which case its absence fails the run. axe-core comes from npm (see the Makefile);
screenshots of every main page are written to test-artifacts/screenshots/.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

if not CHROMIUM.exists() and os.environ.get("REQUIRE_BROWSER") != "1":
    pytest.skip(
        "Debian's chromium is not installed here; CI installs it and sets REQUIRE_BROWSER=1, "
        "which turns this skip into a failure",
        allow_module_level=True,
    )

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests
# make are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page_in(browser, live_server):
    """``page_in("uk")`` — a fresh browser page whose preferred language is given."""
    contexts = []

    def open_page(locale: str = "en-US"):
        context = browser.new_context(locale=locale, base_url=live_server.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(page_in):
    return page_in("en-US")


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def serious_accessibility_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the current page."""
    if not AXE.exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            raise AssertionError(f"axe-core missing at {AXE}; run `make test` to install it")
        pytest.skip(
            "axe-core is not installed (no npm on this machine); `make test` installs it "
            "where npm exists, and CI fails instead of skipping"
        )
    # Evaluated through the DevTools protocol, not as a <script> tag: the panel's
    # Content-Security-Policy (script-src 'self') rightly refuses inline scripts.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def log_in(page, email: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
