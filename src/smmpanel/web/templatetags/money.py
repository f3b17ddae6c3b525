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


@register.filter
def rate_in(service, rates) -> int:
    """What the viewer pays per 1000 of ``service``: ``{{ s|rate_in:rates|money }}``,
    with ``rates`` from ``catalog.selectors.rates_for`` (read once per page). Without
    rates (an anonymous visitor, or a page that gives none) the list rate."""
    rate_for = getattr(rates, "rate_for", None)
    return rate_for(service) if rate_for is not None else service.rate_micros
