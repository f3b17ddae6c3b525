"""The signed-in customer's home (New order) and dashboard: balance, spending, orders by
status, running drip-feeds and subscriptions, open tickets, the latest announcements."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from smmpanel.billing.selectors import balance_of
from smmpanel.content.selectors import latest_news
from smmpanel.orders import customer_overview
from smmpanel.orders.selectors import recent_orders
from smmpanel.support.selectors import open_tickets_count


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in home is New order, as on every panel; the dashboard is a click away."""
    return redirect("web:order-new")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "web/dashboard.html",
        {
            "balance": balance_of(user),
            "spending": customer_overview.spending_of(user),
            "statuses": customer_overview.orders_by_status(user),
            "dripfeeds": customer_overview.running_dripfeeds(user),
            "subscriptions": customer_overview.running_subscriptions(user),
            "open_tickets": open_tickets_count(user),
            "orders": recent_orders(user, 10),
            "announcements": latest_news(user, 3),
        },
    )
