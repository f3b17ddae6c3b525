"""Staff catalog pages: services and categories (create, edit, reorder, enable/disable,
bulk price change) and each service's provider routes. Thin views over
``catalog.services`` and ``providers.services``; every change is audited there."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smmpanel.catalog import selectors
from smmpanel.catalog import services as catalog
from smmpanel.catalog.forms import BulkForm, CategoryForm, ServiceForm
from smmpanel.catalog.models import Category, Service
from smmpanel.money import to_micros
from smmpanel.providers import selectors as provider_selectors
from smmpanel.providers import services as providers
from smmpanel.providers.forms import RouteEditForm, RouteForm
from smmpanel.providers.models import ServiceRoute
from smmpanel.staff.permissions import PRICES, staff_required

PAGE_SIZE = 100


def _back(request, default: str):
    target = request.POST.get("next", "")
    # Only back to a staff page: never an open redirect.
    return redirect(target if target.startswith("/staff/") and "//" not in target else default)


def _errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _validation_message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- services -------------------------------------------------------------------------


@staff_required(PRICES)
def services(request):
    q = request.GET
    rows = selectors.staff_services(
        platform=q.get("platform"),
        category=q.get("category"),
        query=q.get("q", ""),
        state=q.get("state", ""),
    )
    page = Paginator(rows, PAGE_SIZE).get_page(q.get("page"))
    filters = q.copy()
    filters.pop("page", None)
    return render(
        request,
        "staff/catalog/services.html",
        {
            "page": page,
            "q": q,
            "filters": filters.urlencode(),
            "platforms": selectors.all_platforms(),
            "categories": selectors.staff_categories(),
            "bulk": BulkForm(),
        },
    )


@staff_required(PRICES)
def service_new(request):
    form = ServiceForm(request.POST or None, initial={"active": True, "refill_days": 0})
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        category = fields.pop("category")
        try:
            service = catalog.staff_create_service(category, actor=request.user, **fields)
        except ValidationError as exc:
            form.add_error(None, _validation_message(exc))
        else:
            messages.success(request, _("Service %(id)s created.") % {"id": service.pk})
            return redirect("staff:service-edit", service.pk)
    return render(request, "staff/catalog/service_form.html", {"form": form, "service": None})


@staff_required(PRICES)
def service_edit(request, pk: int):
    service = get_object_or_404(Service.objects.select_related("category__platform"), pk=pk)
    form = ServiceForm(request.POST or None, initial=ServiceForm.initial_for(service))
    if request.method == "POST" and form.is_valid():
        try:
            updates = catalog.staff_update_service(
                service,
                actor=request.user,
                note=form.cleaned_data["note"],
                **form.service_fields(),
            )
        except ValidationError as exc:
            form.add_error(None, _validation_message(exc))
        else:
            messages.success(
                request,
                _("Service %(id)s saved; %(n)s public update(s) recorded.")
                % {"id": service.pk, "n": len(updates)},
            )
            return redirect("staff:service-edit", service.pk)
    return render(
        request,
        "staff/catalog/service_form.html",
        {"form": form, "service": service, "updates": service.updates.all()[:10]},
    )


@staff_required(PRICES)
@require_POST
def service_move(request, pk: int, direction: str):
    service = get_object_or_404(Service, pk=pk)
    if not catalog.move_service(service, direction, actor=request.user):
        messages.info(request, _("Service %(id)s is already there.") % {"id": service.pk})
    return _back(request, "staff:services")


@staff_required(PRICES)
@require_POST
def service_toggle(request, pk: int):
    service = get_object_or_404(Service, pk=pk)
    catalog.set_service_active(service, not service.active, actor=request.user)
    state = _("enabled") if service.active else _("disabled")
    messages.success(request, _("Service %(id)s %(state)s.") % {"id": service.pk, "state": state})
    return _back(request, "staff:services")


@staff_required(PRICES)
@require_POST
def services_bulk(request):
    form = BulkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return _back(request, "staff:services")
    data, targets = form.cleaned_data, form.targets()
    try:
        if data["action"] == "percent":
            changed = catalog.change_rates_by_percent(
                targets, data["percent"], actor=request.user, note=data["note"]
            )
        else:
            active = data["action"] == "enable"
            changed = [
                s for s in targets if catalog.set_service_active(s, active, actor=request.user)
            ]
    except (ValidationError, ValueError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("%(n)s service(s) changed.") % {"n": len(changed)})
    return _back(request, "staff:services")


# --- routes (provider mapping) ------------------------------------------------------------


@staff_required(PRICES)
def service_routes(request, pk: int):
    service = get_object_or_404(Service.objects.select_related("category__platform"), pk=pk)
    routes = provider_selectors.routes_of(service)
    next_priority = 1 + max((r.priority for r in routes), default=-1)
    form = RouteForm(request.POST or None, initial={"priority": next_priority})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            providers.add_route(
                service,
                d["provider"],
                d["provider_service_id"],
                actor=request.user,
                cost_micros=to_micros(d["cost"]),
                markup_percent=d["markup_percent"],
                priority=d["priority"],
            )
        except providers.RouteExists as exc:
            form.add_error("provider", str(exc))
        else:
            messages.success(request, _("Route added."))
            return redirect("staff:service-routes", service.pk)
    return render(
        request,
        "staff/catalog/routes.html",
        {"service": service, "routes": routes, "form": form},
    )


@staff_required(PRICES)
@require_POST
def route_edit(request, pk: int):
    route = get_object_or_404(ServiceRoute.objects.select_related("service", "provider"), pk=pk)
    form = RouteEditForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
    else:
        try:
            providers.update_route(route, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, _validation_message(exc))
        else:
            messages.success(request, _("Route saved."))
    return redirect("staff:service-routes", route.service_id)


@staff_required(PRICES)
@require_POST
def route_remove(request, pk: int):
    route = get_object_or_404(ServiceRoute.objects.select_related("provider"), pk=pk)
    providers.remove_route(route, actor=request.user)
    messages.success(request, _("Route removed."))
    return redirect("staff:service-routes", route.service_id)


# --- categories ---------------------------------------------------------------------------


@staff_required(PRICES)
def categories(request):
    form = CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            catalog.create_category(
                form.cleaned_data["platform_name"], form.cleaned_data["name"], actor=request.user
            )
        except ValueError as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, _("Category created."))
            return redirect("staff:categories")
    return render(
        request,
        "staff/catalog/categories.html",
        {
            "form": form,
            "categories": selectors.staff_categories(),
            "platforms": selectors.all_platforms(),
        },
    )


@staff_required(PRICES)
def category_edit(request, pk: int):
    category = get_object_or_404(Category.objects.select_related("platform"), pk=pk)
    form = CategoryForm(
        request.POST or None,
        initial={"platform_name": category.platform.name, "name": category.name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            catalog.update_category(category, actor=request.user, **form.cleaned_data)
        except ValueError as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, _("Category saved."))
            return redirect("staff:categories")
    return render(
        request,
        "staff/catalog/category_form.html",
        {"form": form, "category": category, "platforms": selectors.all_platforms()},
    )


@staff_required(PRICES)
@require_POST
def category_move(request, pk: int, direction: str):
    category = get_object_or_404(Category, pk=pk)
    if not catalog.move_category(category, direction, actor=request.user):
        messages.info(request, _("Category %(name)s is already there.") % {"name": category.name})
    return _back(request, "staff:categories")
