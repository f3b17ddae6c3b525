"""Signing in, settings and API keys in a real browser, with accessibility checks."""

from tests.browser.conftest import log_in, screenshot, serious_accessibility_violations
from tests.factories import make_user

PASSWORD = "pw-Test-12345"


def test_a_customer_signs_in_and_creates_an_api_key(page, transactional_db):
    user = make_user("10")
    log_in(page, user.email, PASSWORD)
    page.goto("/api-keys/")
    page.get_by_label("Key name").fill("reseller bot")
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#new-key").inner_text()
    assert key.startswith("smmk_")
    screenshot(page, "api-keys")
    assert serious_accessibility_violations(page) == []


def test_the_login_page_has_no_serious_accessibility_problems(page, transactional_db):
    page.goto("/login/")
    screenshot(page, "login")
    assert serious_accessibility_violations(page) == []
