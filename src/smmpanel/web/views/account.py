from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from smmpanel.billing.money import format_amount
from smmpanel.billing.selectors import balance_of
from smmpanel.orders.selectors import recent_orders


@login_required
def home(request):
    return render(
        request,
        "web/home.html",
        {
            "balance": format_amount(balance_of(request.user)),
            "orders": recent_orders(request.user, 20),
        },
    )


def health(request):
    """The trivial endpoint: the server's ceiling in benchmarks, a liveness probe in prod."""
    return HttpResponse(b'{"ok":true}', content_type="application/json")
