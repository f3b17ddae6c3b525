"""The header bell in a real browser (issue 18): it counts a customer's unread
notifications, opens their list, and clears as they are marked read, in English and
in Ukrainian. Every wait is Playwright's ``expect``: it waits for the page's state."""

import pytest
from django.utils import translation
from playwright.sync_api import expect

from smmpanel.accounts.models import User
from smmpanel.notifications.kinds import render
from smmpanel.notifications.models import Notification
from smmpanel.notifications.services import notify
from tests.browser.conftest import screenshot
from tests.browser.journey import PASSWORD, words_in
from tests.factories import make_user


def bell_label(language: str, unread: int) -> str:
    """The bell's accessible name as the panel words it in ``language``."""
    with translation.override(language):
        return translation.ngettext(
            "%(counter)s unread notification", "%(counter)s unread notifications", unread
        ) % {"counter": unread}


@pytest.mark.parametrize("locale", ["en-US", "uk-UA"])
def test_the_bell_counts_unread_notifications_and_clears_when_they_are_read(
    page_in, transactional_db, locale
):
    tr = words_in(locale)
    language = locale[:2]
    user = make_user()
    User.objects.filter(pk=user.pk).update(language=language)
    canceled = notify(user, "order_canceled", order=41, amount_micros=2_500_000)
    refill = notify(user, "refill_done", order=42)

    page = page_in(locale)
    page.goto("/login/")  # ids, not labels: allauth words its own labels
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)

    bell = page.locator("a.bell")
    count = bell.locator(".count")
    expect(count).to_have_text("2")
    expect(bell).to_have_attribute("aria-label", bell_label(language, 2))

    bell.click()
    page.wait_for_url("**/notifications/")
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Notifications"))
    unread = page.locator("ul.notifications li.unread")
    expect(unread).to_have_count(2)
    for note in (canceled, refill):
        title, body = render(note.kind, note.params, language)
        item = page.locator(f"#notification-{note.pk}")
        expect(item.locator("strong")).to_have_text(title)
        expect(item.locator("p")).to_have_text(body)
    if language == "uk":
        assert "2,50" in render(canceled.kind, canceled.params, language)[1]
    screenshot(page, f"notifications-unread-{language}")

    # One marked read: the count drops to one.
    page.locator(f"#notification-{refill.pk}").get_by_role("button", name=tr("Mark read")).click()
    expect(count).to_have_text("1")
    expect(bell).to_have_attribute("aria-label", bell_label(language, 1))
    expect(unread).to_have_count(1)

    # The rest marked read: the count is gone, the list keeps both.
    page.get_by_role("button", name=tr("Mark all read")).click()
    expect(count).to_have_count(0)
    expect(bell).to_have_attribute("aria-label", bell_label(language, 0))
    expect(unread).to_have_count(0)
    expect(page.locator("ul.notifications li")).to_have_count(2)
    expect(page.get_by_role("button", name=tr("Mark all read"))).to_have_count(0)
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()
