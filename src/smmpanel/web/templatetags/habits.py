"""Template tags for ordering habits: "Order again" links and average times."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from smmpanel.orders.selectors_habits import order_again_query

register = template.Library()


@register.filter
def order_again_url(order) -> str:
    """New order prefilled with ``order``'s service, link, quantity and parameters."""
    return f"{reverse('web:order-new')}?{urlencode(order_again_query(order))}"


@register.filter
def average_time(times, service) -> str:
    """``{{ times|average_time:service }}``: the service's average time, in words."""
    return times.for_service(service.pk).text
