"""Template tags of the page frame: the header's balance and the sidebar's links."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from smmpanel.billing.selectors import balance_of
from smmpanel.content.selectors import unread_news_count

register = template.Library()


@register.simple_tag
def header_balance(user) -> int | None:
    """``user``'s balance in micros for the header (None when signed out)."""
    if user is None or not user.is_authenticated:
        return None
    return balance_of(user)


@register.simple_tag
def unread_news(user) -> int:
    """How many announcements ``user`` has not read (0 when signed out)."""
    return unread_news_count(user)


@register.simple_tag(takes_context=True)
def nav_link(
    context, url: str, label: str, icon: str = "", exact: bool = False, badge: int = 0
) -> str:
    """A sidebar link, marked ``aria-current="page"`` on its own page (or below it,
    unless ``exact``), with a count of unread things when ``badge``."""
    request = context.get("request")
    path = request.path if request is not None else ""
    current = path == url if exact or url == "/" else path.startswith(url)
    count = (
        format_html(
            ' <span class="count">{}<span class="visually-hidden"> {}</span></span>',
            badge,
            _("unread"),
        )
        if badge
        else ""
    )
    return format_html(
        '<a href="{}"{}><span class="icon" aria-hidden="true">{}</span><span>{}</span>{}</a>',
        url,
        mark_safe(' aria-current="page"') if current else "",
        icon,
        label,
        count,
    )
