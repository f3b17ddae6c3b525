"""The customer frame in a real browser: sidebar and header at a desktop's and a phone's
width, the dark scheme (the system's choice) with no serious axe-core finding."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, serious_accessibility_violations
from tests.browser.test_page_widths import signed_in
from tests.factories import make_order, make_service, make_user

PAGES = [("dashboard", "/dashboard/"), ("new-order", "/orders/new/"), ("orders", "/orders/")]


@pytest.fixture
def customer(transactional_db):
    user = make_user("25")
    make_order(user, make_service(name="Instagram Likes — 30 days refill"))
    return user


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_frame_passes_axe_in_both_schemes(browser, live_server, customer, scheme):
    context = browser.new_context(base_url=live_server.url, color_scheme=scheme)
    try:
        page = context.new_page()
        signed_in(page, customer, "en")
        problems = {}
        for name, path in PAGES:
            page.goto(path)
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert (background == "rgb(18, 20, 26)") == (scheme == "dark"), background
            screenshot(page, f"{name}-{scheme}")
            if found := serious_accessibility_violations(page):
                problems[name] = found
        assert problems == {}
    finally:
        context.close()


def test_the_signed_in_home_is_new_order_with_balance_and_bell_in_the_header(page, customer):
    signed_in(page, customer, "en")
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("New order")
    header = page.locator("header.top")
    expect(header.get_by_text("24.91 USD")).to_be_visible()
    expect(header.get_by_role("link", name="Add funds")).to_be_visible()
    expect(header.locator("a.bell")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")

    page.set_viewport_size({"width": 390, "height": 844})
    expect(header.get_by_text("24.91 USD")).to_be_visible()
    expect(header.get_by_role("link", name="Add funds")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    assert serious_accessibility_violations(page) == []
