"""Amounts shown in the customer's display currency besides the panel's: ``≈`` and the
rate staff set, never used for money (charges, refunds, the ledger and the API stay in
the panel's currency)."""

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from smmpanel.web.templatetags.money import money

register = template.Library()


@register.filter
def approx(micros, display) -> str:
    """``{{ balance|approx:DISPLAY }}`` -> ``≈ 2,060.75 UAH`` (empty without a choice)."""
    if not display or micros is None:
        return ""
    return format_html(
        '<span class="approx" title="{}">≈ {} {}</span>',
        rate_note(display),
        money(display.convert(int(micros))),
        display.code,
    )


@register.filter
def rate_note(display) -> str:
    """ "at the rate of 2026-12-07" for the display currency's rate."""
    if not display or display.set_at is None:
        return ""
    return _("at the rate of %(date)s") % {"date": date_format(display.set_at, "Y-m-d")}
