"""Customer order pages: new order, mass order, the orders list and one order, refills,
and the refill and cancel actions.

Thin views: reads come from ``orders.selectors``, writes go through ``orders.services``
(``place_order``, ``place_mass_order``, ``request_refill``, ``request_cancel``), whose
refusals are shown in the customer's language. The live parts (price quote, status
polling) are in ``orders_live.py``.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from smmpanel.catalog.models import Service
from smmpanel.catalog.selectors import orderable_service, rates_for, service_picker
from smmpanel.orders import selectors
from smmpanel.orders.errors import OrderRefused
from smmpanel.orders.models import Order, OrderStatus
from smmpanel.orders.selectors_habits import average_times, favourite_ids
from smmpanel.orders.services import (
    place_mass_order,
    place_order,
    request_cancel,
    request_refill,
)
from smmpanel.web.forms_orders import MassOrderForm, NewOrderForm, shown_params

PAGE_SIZE = 50
STATUS_TABS = (
    ("", gettext_lazy("All")),
    (OrderStatus.PENDING, gettext_lazy("Pending")),
    (OrderStatus.IN_PROGRESS, gettext_lazy("In progress")),
    (OrderStatus.COMPLETED, gettext_lazy("Completed")),
    (OrderStatus.PARTIAL, gettext_lazy("Partial")),
    (OrderStatus.CANCELED, gettext_lazy("Canceled")),
    (OrderStatus.REVIEW, gettext_lazy("Review")),
    (OrderStatus.FAIL, gettext_lazy("Fail")),
)


def language_of(request: HttpRequest) -> str:
    """The language refusals are shown in (policy messages exist in uk and en)."""
    return getattr(request, "LANGUAGE_CODE", "") or "en"


def _new_order_page(
    request: HttpRequest, service: Service | None, form: NewOrderForm | None
) -> HttpResponse:
    params = request.GET
    platform_id, category_id = params.get("platform"), params.get("category")
    if service is not None and not platform_id and not category_id:
        platform_id, category_id = service.category.platform_id, service.category_id
    favourites = favourite_ids(request.user)
    only_favourites = params.get("favourites") == "1"
    picker = service_picker(
        platform_id, category_id, params.get("q", ""), favourites if only_favourites else None
    )
    listed = {s.pk for group in picker.groups for s in group.services}
    if service is not None and service.pk not in listed and request.method == "GET":
        service, form = None, None  # filtered out by a newer choice of platform or category
    if service is not None and form is None:
        # "Order again" (and any link to New order) may prefill the service's fields.
        form = NewOrderForm(service)
        form.initial = {name: params[name] for name in form.fields if name in params}
    return render(
        request,
        "web/orders/new.html",
        {
            "picker": picker,
            "service": service,
            "form": form,
            "q": params.get("q", ""),
            # The prices shown are the customer's own, as the quote and the charge are.
            "rates": rates_for(request.user),
            "favourites": favourites,
            "only_favourites": only_favourites,
            "is_favourite": service is not None and service.pk in favourites,
            "times": average_times(),
        },
    )


@login_required
def order_new(request: HttpRequest) -> HttpResponse:
    """Choose platform → category → service, fill the fields its type needs, place it."""
    if request.method != "POST":
        raw = request.GET.get("service")
        return _new_order_page(request, orderable_service(raw) if raw else None, None)
    service = orderable_service(request.POST.get("service"))
    if service is None:
        messages.error(request, _("Choose a service first."))
        return redirect("web:order-new")
    form = NewOrderForm(service, request.POST)
    if form.is_valid():
        try:
            order = place_order(request.user, service, form.order_data(), source="web")
        except OrderRefused as refusal:
            form.add_refusal(refusal, language_of(request))
        else:
            messages.success(request, _("Order %(id)d is placed.") % {"id": order.pk})
            return redirect("web:order-detail", order_id=order.pk)
    return _new_order_page(request, service, form)


# The outcome of a mass order waits here between its POST and the GET after the redirect,
# so reloading the result page shows it again instead of placing every line a second time.
MASS_RESULT_SESSION = "web.mass_order_result"


@login_required
def order_mass(request: HttpRequest) -> HttpResponse:
    """Many ``service_id | link | quantity`` lines, each placed (or refused) on its own."""
    if request.method == "POST":
        form = MassOrderForm(request.POST)
        if form.is_valid():
            language = language_of(request)
            try:
                lines = place_mass_order(request.user, form.cleaned_data["orders"], source="web")
            except OrderRefused as refusal:
                form.add_error("orders", refusal.text(language))
            else:
                request.session[MASS_RESULT_SESSION] = [
                    {
                        "number": line.number,
                        "text": line.text,
                        "order_id": line.order.pk if line.order else None,
                        "reason": line.refusal.text(language) if line.refusal else "",
                    }
                    for line in lines
                ]
                return redirect("web:order-mass")
        return render(request, "web/orders/mass.html", {"form": form, "results": None})
    results = request.session.pop(MASS_RESULT_SESSION, None)
    context: dict[str, object] = {"results": results}
    if results is None:
        context["form"] = MassOrderForm()
    else:
        refused = [r for r in results if r["order_id"] is None]
        # The refused lines come back in the box, to fix and send again.
        context["form"] = MassOrderForm(initial={"orders": "\n".join(r["text"] for r in refused)})
        context["accepted"] = len(results) - len(refused)
        context["refused"] = len(refused)
    return render(request, "web/orders/mass.html", context)


def _query(**params: object) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


@login_required
def orders(request: HttpRequest) -> HttpResponse:
    """The customer's orders: status filter, search by id or link, keyset pages."""
    status = request.GET.get("status", "")
    if status not in selectors.STATUS_FILTERS:
        status = ""
    search = request.GET.get("q", "").strip()[: selectors.MAX_SEARCH]
    before = selectors.parse_before(request.GET.get("before"))
    page = selectors.orders_page(request.user, status, search, before, PAGE_SIZE)
    tabs = [
        {
            "key": key,
            "label": label,
            "query": _query(status=key, q=search),
            "current": key == status,
        }
        for key, label in STATUS_TABS
    ]
    return render(
        request,
        "web/orders/list.html",
        {
            "page": page,
            "status": status,
            "q": search,
            "tabs": tabs,
            "before": before,
            "first_query": _query(status=status, q=search),
            "next_query": _query(status=status, q=search, before=page.next_before),
            "live": [row.order.pk for row in page.rows if row.unfinished],
        },
    )


def _own_order_or_404(request: HttpRequest, order_id: int) -> Order:
    order = selectors.order_for(request.user, order_id)
    if order is None:
        raise Http404("No such order")
    return order


@login_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    """One order: its figures, status timeline and refills (404 unless it is yours)."""
    order = _own_order_or_404(request, order_id)
    events = selectors.order_timeline(order)
    return render(
        request,
        "web/orders/detail.html",
        {
            "row": selectors.order_row(order),
            "order": order,
            "events": events,
            "params": shown_params(order.params),
            "staff_reason": selectors.staff_reason(events),
            "refunded": selectors.refunded_micros(order),
            "refund_held": selectors.refund_held(order),
            "refills": selectors.order_refills(order),
        },
    )


def _back(request: HttpRequest, order: Order, params: QueryDict | None = None) -> str:
    """Where an action returns to: the page it was pressed on, if it is one of ours."""
    target = (request.POST if params is None else params).get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("web:order-detail", kwargs={"order_id": order.pk})


@login_required
@require_POST
def order_refill(request: HttpRequest, order_id: int) -> HttpResponse:
    """Ask for a refill of a finished order within its refill period."""
    order = _own_order_or_404(request, order_id)
    try:
        refill = request_refill(request.user, order.pk)
    except OrderRefused as refusal:
        messages.error(request, refusal.text(language_of(request)))
    else:
        messages.success(
            request,
            _("Refill %(refill)d is requested for order %(order)d.")
            % {"refill": refill.pk, "order": order.pk},
        )
    return redirect(_back(request, order))


@login_required
@require_http_methods(["GET", "POST"])
def order_cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    """Cancel a pending order (refunded at once) or ask the provider to cancel it.

    The order's Cancel button leads here by GET, to a page that asks to confirm (the
    Content-Security-Policy rules out a script ``confirm()``); its form POSTs back here.
    """
    order = _own_order_or_404(request, order_id)
    if request.method == "GET":
        row = selectors.order_row(order)
        back = _back(request, order, request.GET)
        if not row.can_cancel:
            messages.error(request, _("Order %(id)d can no longer be canceled.") % {"id": order.pk})
            return redirect(back)
        return render(
            request, "web/orders/cancel_confirm.html", {"order": order, "row": row, "back": back}
        )
    try:
        order = request_cancel(request.user, order.pk)
    except OrderRefused as refusal:
        messages.error(request, refusal.text(language_of(request)))
    else:
        if order.status == OrderStatus.CANCELED:
            text = _("Order %(id)d is canceled and its charge refunded.")
        else:
            text = _("Cancel of order %(id)d is requested; the provider decides.")
        messages.success(request, text % {"id": order.pk})
    return redirect(_back(request, order))


@login_required
def refills(request: HttpRequest) -> HttpResponse:
    """The customer's refills with their statuses, newest first, keyset pages."""
    before = selectors.parse_before(request.GET.get("before"))
    page = selectors.refills_page(request.user, before, PAGE_SIZE)
    return render(
        request,
        "web/orders/refills.html",
        {"page": page, "before": before, "next_query": _query(before=page.next_before)},
    )
