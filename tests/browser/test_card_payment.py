"""Paying by card in a real browser: Add funds → the price before paying → the (fake)
Stripe checkout page → back to the panel's receipt, the balance credited by Stripe's
signed notification and the bonus shown as its own line, in English and Ukrainian."""

import pytest
from playwright.sync_api import expect

from smmpanel.accounts.models import User
from smmpanel.billing.gateway_settings import add_bonus_tier, save_gateway_settings
from smmpanel.billing.models import DepositRequest, LedgerEntry
from smmpanel.billing.selectors import balance_of
from smmpanel.money import to_micros
from tests.browser.conftest import screenshot
from tests.browser.journey import PASSWORD, money_in, words_in
from tests.factories import make_user


@pytest.mark.parametrize("locale", ["en-US", "uk-UA"])
def test_a_card_payment_is_credited_with_its_bonus_on_its_own_line(
    page_in, transactional_db, live_server, stripe_on, locale
):
    tr, shown = words_in(locale), money_in(locale)
    stripe_on.webhook_url = f"{live_server.url}/payments/notify/stripe/"
    save_gateway_settings("stripe", {"fee_percent_bp": 300, "fee_fixed_micros": 0}, {})
    add_bonus_tier(to_micros("20"), 1000)
    customer = make_user()
    User.objects.filter(pk=customer.pk).update(language=locale[:2])

    page = page_in(locale)
    page.goto("/login/")
    page.locator("#id_login").fill(customer.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)

    page.goto("/funds/")
    page.get_by_label(tr("Card, Apple Pay, Google Pay (Stripe)")).check()
    page.get_by_label(tr("Amount")).fill("25")
    page.get_by_role("button", name=tr("Continue")).click()

    # Before paying: what the balance receives and what the card is charged.
    expect(page.locator("#receive-total")).to_contain_text(shown(to_micros("27.50")))
    expect(page.locator("#pay-total")).to_contain_text(shown(to_micros("25.75")))
    if locale == "en-US":
        screenshot(page, "payment-quote")
    page.get_by_role("button", name=tr("Go to payment")).click()

    # Stripe's checkout page (the fake on 127.0.0.1), then back to the panel.
    expect(page.get_by_role("heading")).to_have_text("Pay 25.75 USD")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/funds/payments/*/")
    expect(page.locator("#payment-status")).to_have_text(tr("Paid"))
    expect(page.locator("#receipt-bonus")).to_contain_text(shown(to_micros("2.50")))
    if locale == "en-US":
        screenshot(page, "payment-receipt")

    assert balance_of(customer) == to_micros("27.50")
    kinds = sorted(LedgerEntry.objects.filter(user=customer).values_list("kind", "amount_micros"))
    assert kinds == [("bonus", to_micros("2.50")), ("deposit", to_micros("25"))]
    assert DepositRequest.objects.get(user=customer).status == "confirmed"

    # The ledger shows the bonus as its own line beside the paid amount.
    page.goto("/funds/history/")
    rows = page.locator("main tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=tr("Bonus"))).to_contain_text(shown(to_micros("2.50")))
    expect(rows.filter(has_text=tr("Deposit"))).to_contain_text(shown(to_micros("25")))
