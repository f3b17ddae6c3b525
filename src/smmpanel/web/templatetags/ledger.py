"""Filters that read stored records out in the reader's language."""

from django import template

from smmpanel.billing.selectors import entry_details
from smmpanel.catalog.selectors import update_value_text

register = template.Library()


@register.filter
def details(entry) -> str:
    """The Details column of a ledger row in the reader's language:
    ``{{ e|details }}`` (see ``billing.selectors.entry_details``)."""
    return entry_details(entry)


@register.filter
def update_value(update, value) -> str:
    """A service update's before/after value for reading:
    ``{{ u|update_value:u.old_value }}`` (see ``catalog.selectors.update_value_text``)."""
    return update_value_text(update, value)
