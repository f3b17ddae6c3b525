"""An announcement in a real browser, in English and Ukrainian: staff publish it, the
customer sees it marked new on the dashboard and in the sidebar, reads it on the news
page and marks it read; the marks are gone after."""

import pytest
from playwright.sync_api import expect

from smmpanel.accounts.models import User
from smmpanel.content.services import AnnouncementText, publish_announcement
from tests.browser.conftest import screenshot, serious_accessibility_violations
from tests.browser.journey import words_in
from tests.browser.test_page_widths import LANGUAGES, signed_in
from tests.factories import make_staff, make_user

NEWS = AnnouncementText(
    "TikTok views are back",
    "Перегляди TikTok повернулися",
    "All TikTok **views** services run again.",
    "Усі послуги **переглядів** TikTok знову працюють.",
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_customer_sees_an_announcement_and_marks_it_read(page_in, transactional_db, language):
    tr = words_in(LANGUAGES[language])
    publish_announcement(NEWS, actor=make_staff(User.StaffRole.OWNER))
    title = NEWS.title_uk if language == "uk" else NEWS.title_en
    page = page_in(LANGUAGES[language])
    signed_in(page, make_user("5"), language)

    page.goto("/dashboard/")
    latest = page.get_by_role("region", name=tr("Latest announcements"))
    expect(latest.get_by_role("link", name=title)).to_be_visible()
    expect(latest.locator(".unread-mark")).to_have_count(1)
    nav = page.get_by_role("navigation", name="Main" if language == "en" else tr("Main"))
    news_link = nav.get_by_role("link", name=tr("News"))
    expect(news_link.locator(".count")).to_contain_text("1")

    latest.get_by_role("link", name=title).click()
    article = page.get_by_role("article", name=title)
    expect(article.locator("strong")).to_be_visible()
    expect(article.locator(".unread-mark")).to_be_visible()
    screenshot(page, f"news-unread-{language}")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name=tr("Mark all as read")).click()
    expect(page.get_by_role("status")).to_contain_text(tr("News marked as read."))
    expect(article.locator(".unread-mark")).to_have_count(0)
    expect(news_link.locator(".count")).to_have_count(0)
    page.goto("/dashboard/")
    expect(latest.locator(".unread-mark")).to_have_count(0)
