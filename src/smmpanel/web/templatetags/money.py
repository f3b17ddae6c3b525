from django import template

from smmpanel.billing.money import format_amount

register = template.Library()


@register.filter
def money(micros) -> str:
    """Micro-units as a decimal amount: ``{{ order.charge_micros|money }}``."""
    try:
        return format_amount(int(micros))
    except (TypeError, ValueError):
        return ""
