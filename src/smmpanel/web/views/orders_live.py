"""The live parts of the order pages, answered as htmx fragments.

``order_quote``: the price of the order being typed and the refusal the server would
give, beside its field (``orders.services.quote_order``, a dry run of ``place_order``).
``orders_live``: fresh table rows for the unfinished orders on the orders page.
"""

from urllib.parse import urlsplit

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from smmpanel.catalog.selectors import orderable_service
from smmpanel.orders import selectors
from smmpanel.orders.services import quote_order
from smmpanel.web.forms_orders import NewOrderForm, live_messages
from smmpanel.web.views.orders import language_of


def _page_path(url: str) -> str:
    """The orders page the rows are shown on (from htmx's ``HX-Current-URL``), as a local
    path for the refill and cancel buttons to return to; the orders list by default."""
    parts = urlsplit(url)
    if parts.path.startswith("/orders/"):
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return reverse("web:orders")


# htmx stops an ``every 5s`` poll when the answer has this status.
STOP_POLLING = 286


@login_required
@require_POST
def order_quote(request: HttpRequest) -> HttpResponse:
    """The charge for the typed order, or why it would be refused (nothing is written)."""
    service = orderable_service(request.POST.get("service"))
    if service is None:
        return render(request, "web/orders/_quote.html", {"no_service": True})
    form = NewOrderForm(service, request.POST)
    form.is_valid()  # every order field is optional text: this only fills cleaned_data
    data = form.order_data()
    language = language_of(request)
    quote = quote_order(request.user, service, data)
    beside, summary = live_messages(form, quote.refusals, data, language)
    return render(
        request,
        "web/orders/_quote.html",
        {
            # A price only for an order that would be accepted as typed: a refused one
            # was priced with stand-ins (the minimum quantity, the example link) or not
            # at all, and its figure would contradict the message beside the field.
            "priced": quote.checked if quote.checked and not quote.refusals else None,
            "beside": beside,
            "summary": summary,
            "review": quote.review.message(language) if quote.review else "",
            "empty": not any(v.strip() for v in data.values()),
        },
    )


@login_required
@require_GET
def orders_live(request: HttpRequest) -> HttpResponse:
    """Fresh rows (``?ids=1,2`` or ``ids=1&ids=2``) for out-of-band swaps into the table.

    Only the user's own orders are answered. Once none of them is unfinished the answer
    carries status 286, which stops the page's polling.
    """
    ids = [part for raw in request.GET.getlist("ids") for part in raw.split(",")]
    rows = selectors.live_rows(request.user, (i.strip() for i in ids))
    response = render(
        request,
        "web/orders/live_rows.html",
        {"rows": rows, "next_url": _page_path(request.headers.get("HX-Current-URL", ""))},
    )
    if not any(row.unfinished for row in rows):
        response.status_code = STOP_POLLING
    return response
