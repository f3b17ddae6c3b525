"""The news page, its read mark, staff-written pages and their footer links."""

from smmpanel.accounts.models import User
from smmpanel.content.services import AnnouncementText, publish_announcement, save_page
from tests.factories import make_staff, make_user, page_fields


def test_the_news_page_marks_unread_announcements_until_read(client, db):
    staff, user = make_staff(User.StaffRole.OWNER), make_user()
    item = publish_announcement(
        AnnouncementText("Maintenance", "Обслуговування", "*Sunday*", "*Неділя*"), actor=staff
    )
    client.force_login(user)
    page = client.get("/news/").content.decode()
    assert '<span class="unread-mark">New</span> Maintenance' in page and "<em>Sunday</em>" in page
    assert '<span class="count">1' in page  # the sidebar's News link
    assert "1 unread announcement." in page and f'name="up_to" value="{item.pk}"' in page
    response = client.post("/news/read/", {"up_to": item.pk})
    assert response.status_code == 302
    page = client.get("/news/").content.decode()
    assert "unread-mark" not in page and '<span class="count">' not in page


def test_marking_read_past_the_newest_stops_at_the_newest(client, db):
    staff, user = make_staff(User.StaffRole.OWNER), make_user()
    publish_announcement(AnnouncementText("A", "А", "a", "а"), actor=staff)
    client.force_login(user)
    client.post("/news/read/", {"up_to": 10_000})
    publish_announcement(AnnouncementText("B", "Б", "b", "б"), actor=staff)
    assert '<span class="unread-mark">New</span> B' in client.get("/news/").content.decode()


def test_junk_in_the_read_form_changes_nothing(client, db):
    client.force_login(make_user())
    for junk in ("", "abc", "-1", "1e9"):
        assert client.post("/news/read/", {"up_to": junk}).status_code == 302


def test_the_dashboard_shows_the_latest_announcements(client, db):
    publish_announcement(
        AnnouncementText("Prices down", "Ціни нижчі", "x", "х"), actor=make_staff("owner")
    )
    client.force_login(make_user())
    page = client.get("/dashboard/").content.decode()
    assert "Latest announcements" in page and "Prices down" in page


def test_a_page_is_public_with_its_seo_description_and_footer_link(client, db):
    save_page(None, page_fields("faq"), actor=make_staff("owner"))
    page = client.get("/pages/faq/").content.decode()
    assert '<meta name="description" content="About">' in page
    assert "<title>FAQ ·" in page and "<strong>Yes</strong>" in page
    footer = client.get("/services/").content.decode().split("<footer>")[1]
    assert 'href="/pages/faq/">FAQ</a>' in footer


def test_an_unknown_or_unpublished_page_is_missing(client, db):
    save_page(None, page_fields("draft") | {"published": False}, actor=make_staff("owner"))
    assert client.get("/pages/draft/").status_code == 404
    assert client.get("/pages/nothing/").status_code == 404


def test_the_public_pages_carry_a_search_engine_description_in_the_readers_language(client, db):
    for path in ("/services/", "/updates/", "/api-docs/"):
        assert '<meta name="description" content="' in client.get(path).content.decode(), path
    client.cookies["django_language"] = "uk"
    page = client.get("/services/").content.decode()
    assert '<meta name="description" content="Ціни за 1000' in page
