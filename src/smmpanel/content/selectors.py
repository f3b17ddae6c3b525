"""Reads for content: announcements with their unread mark, pages in the reader's
language."""

from dataclasses import dataclass

from django.utils import translation

from smmpanel.content.models import Announcement, NewsReadMark, Page


def _uk() -> bool:
    return (translation.get_language() or "en").lower().startswith("uk")


@dataclass(frozen=True)
class News:
    """An announcement in the active language, and whether the reader has read it."""

    pk: int
    title: str
    html: str
    published_at: object
    unread: bool


def last_read_id(user) -> int:
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    mark = NewsReadMark.objects.filter(user=user).values_list("last_read_id", flat=True)
    return mark.first() or 0


def latest_news(user, limit: int = 20) -> list[News]:
    """The newest announcements in the active language (Ukrainian or English), each
    marked unread when newer than what ``user`` has read."""
    read_to, uk = last_read_id(user), _uk()
    rows = Announcement.objects.order_by("-id")[:limit]
    return [
        News(
            a.pk,
            a.title_uk if uk else a.title_en,
            a.html_uk if uk else a.html_en,
            a.published_at,
            a.pk > read_to,
        )
        for a in rows
    ]


def unread_news_count(user) -> int:
    """How many announcements ``user`` has not read (0 for a visitor)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return Announcement.objects.filter(pk__gt=last_read_id(user)).count()


def newest_announcement_id() -> int:
    return Announcement.objects.order_by("-id").values_list("id", flat=True).first() or 0


def staff_announcements(limit: int = 100) -> list[Announcement]:
    return list(Announcement.objects.select_related("created_by").order_by("-id")[:limit])


def announcement(pk: int) -> Announcement | None:
    return Announcement.objects.filter(pk=pk).first()


@dataclass(frozen=True)
class ShownPage:
    slug: str
    title: str
    description: str
    html: str
    updated_at: object


def published_page(slug: str) -> ShownPage | None:
    """The published page at ``slug`` in the active language, or None."""
    page = Page.objects.filter(slug=slug, published=True).first()
    if page is None:
        return None
    uk = _uk()
    return ShownPage(
        page.slug,
        page.title_uk if uk else page.title_en,
        (page.description_uk if uk else page.description_en) or "",
        page.html_uk if uk else page.html_en,
        page.updated_at,
    )


def footer_pages() -> list[dict[str, str]]:
    """The published pages linked from the footer: slug and title in the active language.
    One small query a page, read fresh (a per-process copy would make a page's query
    count depend on the copy's age)."""
    uk = _uk()
    return [
        {"slug": slug, "title": title_uk if uk else title_en}
        for slug, title_en, title_uk in Page.objects.filter(published=True, in_footer=True)
        .order_by("position", "id")
        .values_list("slug", "title_en", "title_uk")
    ]


def staff_pages() -> list[Page]:
    return list(Page.objects.order_by("position", "id"))


def page_by_pk(pk: int) -> Page | None:
    return Page.objects.filter(pk=pk).first()
