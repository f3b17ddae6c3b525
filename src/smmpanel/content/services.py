"""Writes for content: announcements and pages (staff, audited) and a customer's read
mark on the news."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from smmpanel.audit.services import audit
from smmpanel.content import markdown_text
from smmpanel.content.models import Announcement, NewsReadMark, Page


@dataclass(frozen=True)
class AnnouncementText:
    title_en: str
    title_uk: str
    body_en: str
    body_uk: str


def _clean(text: AnnouncementText) -> dict[str, str]:
    fields = {
        "title_en": text.title_en.strip()[:200],
        "title_uk": text.title_uk.strip()[:200],
        "body_en": text.body_en.replace("\r\n", "\n").strip(),
        "body_uk": text.body_uk.replace("\r\n", "\n").strip(),
    }
    if not all(fields.values()):
        raise ValueError("an announcement needs a title and a text in both languages")
    fields["html_en"] = markdown_text.render(fields["body_en"])
    fields["html_uk"] = markdown_text.render(fields["body_uk"])
    return fields


def publish_announcement(text: AnnouncementText, *, actor) -> Announcement:
    """Publish an announcement in both languages; audited as ``actor``'s."""
    fields = _clean(text)
    with transaction.atomic():
        item = Announcement.objects.create(**fields, created_by=actor, published_at=timezone.now())
        audit(
            "announcement.publish",
            actor=actor,
            announcement=item.pk,
            reason=f"announcement {item.title_en!r} published",
        )
    return item


def edit_announcement(item: Announcement, text: AnnouncementText, *, actor) -> Announcement:
    """Correct an announcement's text (it keeps its date and who read it); audited."""
    fields = _clean(text)
    with transaction.atomic():
        Announcement.objects.filter(pk=item.pk).update(**fields, updated_at=timezone.now())
        audit(
            "announcement.edit",
            actor=actor,
            announcement=item.pk,
            reason=f"announcement {fields['title_en']!r} edited",
        )
    item.refresh_from_db()
    return item


def mark_news_read(user, up_to_id: int) -> None:
    """Mark every announcement up to ``up_to_id`` read for ``user``. Never moves the
    mark back (an old page's button pressed late changes nothing)."""
    mark, created = NewsReadMark.objects.get_or_create(
        user=user, defaults={"last_read_id": up_to_id}
    )
    if not created:
        NewsReadMark.objects.filter(pk=mark.pk).update(
            last_read_id=Greatest(F("last_read_id"), up_to_id)
        )


PAGE_FIELDS = (
    "slug",
    "title_en",
    "title_uk",
    "description_en",
    "description_uk",
    "body_en",
    "body_uk",
    "published",
    "in_footer",
    "position",
)


def save_page(page: Page | None, values: dict, *, actor) -> Page:
    """Create (``page`` None) or change a page from the staff form's ``values``; the
    Markdown is rendered and sanitised here, once. Audited as ``actor``'s."""
    fields = {name: values[name] for name in PAGE_FIELDS}
    for name in ("body_en", "body_uk"):
        fields[name] = fields[name].replace("\r\n", "\n").strip()
    fields["html_en"] = markdown_text.render(fields["body_en"])
    fields["html_uk"] = markdown_text.render(fields["body_uk"])
    with transaction.atomic():
        if page is None:
            page = Page.objects.create(**fields)
            action, done = "page.add", "added"
        else:
            for name, value in fields.items():
                setattr(page, name, value)
            page.save()
            action, done = "page.edit", "edited"
        audit(action, actor=actor, page=page.pk, reason=f"page /{page.slug}/ {done}")
    return page
