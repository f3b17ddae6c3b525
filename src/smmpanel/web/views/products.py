"""Drip-feed and subscription orders as products: a page for each with their progress."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from smmpanel.orders import customer_overview
from smmpanel.orders.selectors import parse_before
from smmpanel.orders.subscriptions import subscription_rows


@login_required
def dripfeeds(request: HttpRequest) -> HttpResponse:
    """Every drip-feed order with its runs sent, ended and remaining and the next run's
    time; cancel where the service's rules allow (pausing is not offered: providers'
    API v2 has no pause)."""
    before = parse_before(request.GET.get("before"))
    rows, next_before = customer_overview.dripfeed_rows(request.user, before)
    return render(
        request,
        "web/orders/dripfeeds.html",
        {"rows": rows, "next_before": next_before, "before": before},
    )


@login_required
def subscriptions(request: HttpRequest) -> HttpResponse:
    """Every subscription order: the profile, posts delivered of total, min/max per post,
    delay, expiry and state; cancel where the service allows (remains refunded as for
    any canceled order)."""
    before = parse_before(request.GET.get("before"))
    rows, next_before = subscription_rows(request.user, before)
    return render(
        request,
        "web/orders/subscriptions.html",
        {"rows": rows, "next_before": next_before, "before": before},
    )
