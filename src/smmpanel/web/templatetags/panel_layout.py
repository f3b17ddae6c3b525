"""Template tags of the page frame: the header's balance and the sidebar's links."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from smmpanel.billing.selectors import balance_of

register = template.Library()


@register.simple_tag
def header_balance(user) -> int | None:
    """``user``'s balance in micros for the header (None when signed out)."""
    if user is None or not user.is_authenticated:
        return None
    return balance_of(user)


@register.simple_tag(takes_context=True)
def nav_link(context, url: str, label: str, icon: str = "", exact: bool = False) -> str:
    """A sidebar link, marked ``aria-current="page"`` on its own page (or below it,
    unless ``exact``)."""
    request = context.get("request")
    path = request.path if request is not None else ""
    current = path == url if exact or url == "/" else path.startswith(url)
    return format_html(
        '<a href="{}"{}><span class="icon" aria-hidden="true">{}</span><span>{}</span></a>',
        url,
        mark_safe(' aria-current="page"') if current else "",
        icon,
        label,
    )
