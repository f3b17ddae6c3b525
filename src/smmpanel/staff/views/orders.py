"""Staff orders page: every customer's orders filtered by status, provider (and its
order id), service, customer, date and link, keyset-paginated, with bulk actions on the
selected orders and a CSV export; and one order's page with its actions.

Thin views: the list is ``staff.selectors.orders.staff_orders_page``; a bulk action is
``staff.actions.orders.staff_bulk_order_action``, which runs each order through the same
service as a single action (and audits it), reporting each order that could not. The
order page reads ``staff.selectors.orders``; its forms post to ``staff:order-action``.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smmpanel.orders import selectors
from smmpanel.orders.models import Order
from smmpanel.staff.actions import orders as order_actions
from smmpanel.staff.forms.orders import BulkOrderForm, OrderFilterForm
from smmpanel.staff.permissions import ORDERS, staff_required
from smmpanel.staff.selectors import orders as selectors_orders

PAGE_SIZE = 50


@staff_required(ORDERS)
def orders(request):
    form = OrderFilterForm(request.GET or None)
    before = selectors.parse_before(request.GET.get("before"))
    page = selectors_orders.staff_orders_page(form.to_filter(), before, PAGE_SIZE)
    query = {k: v for k, v in request.GET.items() if k != "before" and v}
    return render(
        request,
        "staff/orders/list.html",
        {
            "form": form,
            "page": page,
            "before": before,
            "first_query": urlencode(query),
            "next_query": urlencode(query | {"before": page.next_before or ""}),
            "bulk_form": BulkOrderForm(),
            "export_query": urlencode(query),
        },
    )


@staff_required(ORDERS)
def orders_export(request):
    """The filtered list (the list page's filter) as CSV, streamed in chunks."""
    form = OrderFilterForm(request.GET or None)
    response = StreamingHttpResponse(
        selectors_orders.orders_csv(form.to_filter()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="orders.csv"'
    return response


@staff_required(ORDERS)
def order_detail(request, order_id: int):
    """Everything about one order, with the actions its state allows."""
    order = get_object_or_404(Order.objects.select_related("user", "service"), pk=order_id)
    return render(
        request,
        "staff/orders/detail.html",
        {"p": selectors_orders.order_page(order), "order": order},
    )


@staff_required(ORDERS)
@require_POST
def orders_bulk(request):
    form = BulkOrderForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for es in form.errors.values() for e in es))
        return _back(request)
    data = form.cleaned_data
    try:
        results = order_actions.staff_bulk_order_action(
            data["ids"],
            data["action"],
            actor=request.user,
            reason=data["reason"],
            values=data["values"],
        )
    except ValueError as exc:
        messages.error(request, str(exc))
        return _back(request)
    done = [r.order_id for r in results if r.ok]
    if done:
        messages.success(
            request,
            _("Done for %(n)d orders: %(ids)s.")
            % {"n": len(done), "ids": ", ".join(str(pk) for pk in done)},
        )
    for r in results:
        if not r.ok:
            messages.error(
                request, _("Order %(id)d: %(reason)s") % {"id": r.order_id, "reason": r.message}
            )
    return _back(request)


def _back(request):
    target = request.POST.get("next", "")
    # Only back to the staff orders page: never an open redirect.
    if target.startswith("/staff/orders/") and "//" not in target:
        return redirect(target)
    return redirect("staff:orders")
