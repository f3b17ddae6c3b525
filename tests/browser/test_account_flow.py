"""Signing in, settings and API keys in a real browser, with accessibility checks."""

from playwright.sync_api import expect

from smmpanel.accounts.models import ApiKey
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


def test_reloading_the_api_keys_page_after_creating_a_key_creates_no_second_key(
    page, transactional_db
):
    user = make_user("10")
    log_in(page, user.email, PASSWORD)
    page.goto("/api-keys/")
    page.get_by_label("Key name").fill("reseller bot")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key")).to_be_visible()
    page.reload()
    expect(page.locator("#new-key")).to_have_count(0)
    assert ApiKey.objects.filter(user=user).count() == 1


def test_the_login_page_has_no_serious_accessibility_problems(page, transactional_db):
    page.goto("/login/")
    screenshot(page, "login")
    assert serious_accessibility_violations(page) == []
