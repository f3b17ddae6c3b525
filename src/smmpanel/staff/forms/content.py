"""Staff forms for content: announcements and pages, each in English and Ukrainian."""

from django import forms
from django.utils.translation import gettext_lazy as _

from smmpanel.content.models import Page

MARKDOWN_HELP = _(
    "Markdown: **bold**, *italic*, [link](https://…), lists, ## headings. HTML and scripts "
    "are removed."
)


def _text(label, rows: int = 8) -> forms.CharField:
    return forms.CharField(
        label=label, help_text=MARKDOWN_HELP, widget=forms.Textarea(attrs={"rows": rows})
    )


class AnnouncementForm(forms.Form):
    title_en = forms.CharField(label=_("Title (English)"), max_length=200)
    title_uk = forms.CharField(label=_("Title (Ukrainian)"), max_length=200)
    body_en = _text(_("Text (English)"))
    body_uk = _text(_("Text (Ukrainian)"))


class PageForm(forms.ModelForm):
    class Meta:
        model = Page
        fields = [
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
        ]
        labels = {
            "slug": _("Address (/pages/…/)"),
            "title_en": _("Title (English)"),
            "title_uk": _("Title (Ukrainian)"),
            "description_en": _("Search engine description (English)"),
            "description_uk": _("Search engine description (Ukrainian)"),
            "body_en": _("Text (English)"),
            "body_uk": _("Text (Ukrainian)"),
            "published": _("Published"),
            "in_footer": _("Linked from the footer"),
            "position": _("Position in the footer"),
        }
        help_texts = {"body_en": MARKDOWN_HELP, "body_uk": MARKDOWN_HELP}
