"""Announcements and pages: staff writes (audited), Markdown sanitised, read marks."""

import pytest
from django.utils import translation

from smmpanel.accounts.models import User
from smmpanel.audit.models import Decision
from smmpanel.content import markdown_text
from smmpanel.content.models import NewsReadMark
from smmpanel.content.selectors import (
    footer_pages,
    latest_news,
    published_page,
    unread_news_count,
)
from smmpanel.content.services import (
    AnnouncementText,
    edit_announcement,
    mark_news_read,
    publish_announcement,
    save_page,
)
from tests.factories import make_staff, make_user, page_fields

TEXT = AnnouncementText("New services", "Нові послуги", "TikTok **views**", "Перегляди **TikTok**")


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=https://evil.example></iframe>",
        '<p style="background:url(javascript:alert(1))">x</p>',
        "<svg onload=alert(1)>",
    ],
)
def test_no_script_gets_through_the_markdown(hostile):
    html = markdown_text.render(f"Hello\n\n{hostile}")
    lowered = html.lower()
    for word in ("<script", "onerror", "javascript:", "<iframe", "style=", "onload", "<svg"):
        assert word not in lowered, html


def test_markdown_renders_links_lists_and_emphasis():
    html = markdown_text.render("# Head\n\n- **one**\n- [two](https://example.com)")
    assert "<h2>Head</h2>" in html and "<strong>one</strong>" in html
    assert 'href="https://example.com"' in html and "nofollow" in html


def test_publishing_is_audited_and_renders_both_languages(db):
    staff = make_staff(User.StaffRole.SUPPORT)
    item = publish_announcement(TEXT, actor=staff)
    assert "<strong>views</strong>" in item.html_en and "<strong>TikTok</strong>" in item.html_uk
    record = Decision.objects.get(rule_code="announcement.publish")
    assert record.actor == staff and "New services" in record.reason


def test_an_announcement_needs_both_languages(db):
    with pytest.raises(ValueError):
        publish_announcement(
            AnnouncementText("Only English", "", "x", ""), actor=make_staff("owner")
        )


def test_editing_keeps_the_read_marks_and_is_audited(db):
    staff, user = make_staff(User.StaffRole.OWNER), make_user()
    item = publish_announcement(TEXT, actor=staff)
    mark_news_read(user, item.pk)
    edit_announcement(item, AnnouncementText("Fixed", "Виправлено", "a", "б"), actor=staff)
    assert unread_news_count(user) == 0
    assert Decision.objects.filter(rule_code="announcement.edit", actor=staff).exists()


def test_news_is_unread_until_marked_and_the_mark_never_goes_back(db):
    staff, user = make_staff(User.StaffRole.OWNER), make_user()
    first = publish_announcement(TEXT, actor=staff)
    second = publish_announcement(TEXT, actor=staff)
    assert unread_news_count(user) == 2
    mark_news_read(user, second.pk)
    mark_news_read(user, first.pk)  # an older page's button, pressed late
    assert NewsReadMark.objects.get(user=user).last_read_id == second.pk
    assert unread_news_count(user) == 0
    third = publish_announcement(TEXT, actor=staff)
    assert [n.unread for n in latest_news(user)] == [True, False, False]
    assert latest_news(user)[0].pk == third.pk


def test_news_and_pages_are_read_in_the_active_language(db):
    staff = make_staff(User.StaffRole.OWNER)
    publish_announcement(TEXT, actor=staff)
    save_page(None, page_fields("faq"), actor=staff)
    with translation.override("uk"):
        assert latest_news(None)[0].title == "Нові послуги"
        assert published_page("faq").title == "Питання"
        assert footer_pages() == [{"slug": "faq", "title": "Питання"}]
    with translation.override("en"):
        assert published_page("faq").html == "<p><strong>Yes</strong></p>"


def test_an_unpublished_page_is_not_shown_nor_linked(db):
    staff = make_staff(User.StaffRole.OWNER)
    page = save_page(None, page_fields("draft") | {"published": False}, actor=staff)
    assert published_page("draft") is None and footer_pages() == []
    save_page(page, page_fields("draft"), actor=staff)
    assert published_page("draft") is not None
    assert [d.rule_code for d in Decision.objects.order_by("pk")] == ["page.add", "page.edit"]
