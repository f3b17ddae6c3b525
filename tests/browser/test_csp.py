"""The Content-Security-Policy in a real browser: the pages and their htmx parts work
with nothing inline allowed, and the browser reports no violation (issue 7)."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import make_service, make_user

PASSWORD = "pw-Test-12345"
# Installed through the DevTools protocol (not a <script> tag), before the page's own.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} line ${e.lineNumber}`)
);
"""


def violations(page, console: list[str]) -> list[str]:
    return page.evaluate("() => window.__cspViolations") + [
        text for text in console if "Content Security Policy" in text
    ]


def watched(page) -> list[str]:
    console: list[str] = []
    page.add_init_script(WATCH_VIOLATIONS)
    page.on("console", lambda message: console.append(message.text))
    return console


def test_the_language_switch_works_without_inline_handlers(page, transactional_db):
    console = watched(page)
    page.goto("/services/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.locator("#lang-switch").select_option("uk")  # panel.js submits the form

    expect(page.locator("html")).to_have_attribute("lang", "uk")
    assert violations(page, console) == []


def test_htmx_pages_run_under_the_policy(page, transactional_db):
    service = make_service()
    user = make_user("10")
    console = watched(page)
    log_in(page, user.email, PASSWORD)

    page.goto(f"/orders/new/?service={service.pk}")
    with page.expect_response(lambda r: "q=Likes" in r.url and r.status == 200):
        page.locator("#pick-q").fill("Likes")  # an htmx request and swap
    expect(page.locator("#service-choice")).not_to_have_class(
        re.compile(r"htmx-(swapping|settling|added)")
    )
    page.goto("/orders/")
    page.goto("/tickets/new/")

    assert page.evaluate("() => typeof window.htmx") == "object"
    assert page.evaluate("() => document.querySelectorAll('style').length") == 0
    assert violations(page, console) == []


def test_the_watch_sees_what_the_policy_blocks(page, transactional_db):
    """Without this, an empty list above could mean a blind watch."""
    console = watched(page)
    page.goto("/services/")
    page.evaluate(
        """() => document.body.insertAdjacentHTML(
            "beforeend", '<img src="/static/web/none.png" onerror="window.ran = 1">')"""
    )
    # The browser reports the refused handler: wait for that report, not for time.
    page.wait_for_function("() => window.__cspViolations.some(v => v.startsWith('script-src'))")

    assert page.evaluate("() => window.ran") is None
    assert any("script-src" in v for v in violations(page, console))
