from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Announcement(models.Model):
    """News staff write for customers, in English and Ukrainian (Markdown; the rendered,
    sanitised HTML is kept beside it, made once on save)."""

    title_en = models.CharField(max_length=200)
    title_uk = models.CharField(max_length=200)
    body_en = models.TextField()
    body_uk = models.TextField()
    html_en = models.TextField(editable=False)
    html_uk = models.TextField(editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title_en


class NewsReadMark(models.Model):
    """How far a customer has read the news: every announcement up to ``last_read_id``."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_read_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user_id} read to {self.last_read_id}"


class Page(models.Model):
    """A page staff write (the FAQ, delivery terms, contacts…): Markdown in both
    languages, its own address, title and search-engine description."""

    slug = models.SlugField(max_length=80, unique=True)
    title_en = models.CharField(max_length=200)
    title_uk = models.CharField(max_length=200)
    description_en = models.CharField(
        max_length=300, blank=True, help_text=_("shown by search engines")
    )
    description_uk = models.CharField(max_length=300, blank=True)
    body_en = models.TextField()
    body_uk = models.TextField()
    html_en = models.TextField(editable=False)
    html_uk = models.TextField(editable=False)
    published = models.BooleanField(default=True)
    in_footer = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.slug
