"""Staff provider pages: the list with health (circuit, error rate, latency, balance,
last sync, last error), add/edit (URL checked, key write-only), import services with a
markup, refresh balance and sync services now. Thin views over ``providers.services``."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smmpanel.providers import selectors
from smmpanel.providers import services as providers
from smmpanel.providers.answer_parsers import ProviderError
from smmpanel.providers.forms import ImportForm, ProviderForm
from smmpanel.providers.models import PendingServiceChange, Provider
from smmpanel.providers.url_safety import UnsafeProviderUrl
from smmpanel.staff.forms.policy import ReasonForm
from smmpanel.staff.permissions import PROVIDERS, staff_required


@staff_required(PROVIDERS)
def providers_list(request):
    return render(
        request,
        "staff/providers/list.html",
        {"rows": selectors.provider_health(), "held": selectors.held_service_changes()},
    )


@staff_required(PROVIDERS)
def provider_new(request):
    form = ProviderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            provider = providers.staff_add_provider(
                d["name"], d["api_url"], d["api_key"], actor=request.user
            )
        except UnsafeProviderUrl as exc:
            form.add_error("api_url", str(exc))
        else:
            messages.success(request, _("Provider %(name)s added.") % {"name": provider.name})
            return redirect("staff:providers")
    return render(request, "staff/providers/form.html", {"form": form, "provider": None})


@staff_required(PROVIDERS)
def provider_edit(request, pk: int):
    provider = get_object_or_404(Provider, pk=pk)
    initial = {"name": provider.name, "api_url": provider.api_url, "active": provider.active}
    form = ProviderForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            providers.update_provider(provider, actor=request.user, **form.cleaned_data)
        except UnsafeProviderUrl as exc:
            form.add_error("api_url", str(exc))
        else:
            messages.success(request, _("Provider %(name)s saved.") % {"name": provider.name})
            return redirect("staff:providers")
    return render(request, "staff/providers/form.html", {"form": form, "provider": provider})


@staff_required(PROVIDERS)
def provider_import(request, pk: int):
    provider = get_object_or_404(Provider, pk=pk)
    form = ImportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = providers.staff_import_services(
                provider,
                actor=request.user,
                markup_percent=form.cleaned_data["markup_percent"],
                only=form.cleaned_data["only"],
            )
        except ProviderError as exc:
            messages.error(request, _("Import failed: %(e)s") % {"e": exc.message})
        else:
            messages.success(
                request,
                _("%(n)s service(s) imported, %(skipped)s skipped.")
                % {"n": len(result.created), "skipped": result.skipped},
            )
            return redirect("staff:provider-import", provider.pk)
    return render(
        request,
        "staff/providers/import.html",
        {"form": form, "provider": provider, "routes": provider.routes.select_related("service")},
    )


@staff_required(PROVIDERS)
@require_POST
def provider_action(request, pk: int, verb: str):
    provider = get_object_or_404(Provider, pk=pk)
    if verb == "refresh-balance":
        if providers.staff_refresh_balance(provider, actor=request.user):
            messages.success(request, _("Balance of %(name)s refreshed.") % {"name": provider})
        else:
            provider.refresh_from_db(fields=["last_error"])
            messages.error(request, _("Balance check failed: %(e)s") % {"e": provider.last_error})
    elif verb == "sync-services":
        try:
            counts = providers.staff_sync_services(provider, actor=request.user)
        except ProviderError as exc:
            messages.error(request, _("Sync failed: %(e)s") % {"e": exc.message})
        else:
            messages.success(
                request,
                _("Services of %(name)s synced: %(updated)s updated, %(paused)s paused.")
                % {"name": provider, **counts},
            )
    return redirect("staff:providers")


@staff_required(PROVIDERS)
@require_POST
def service_change_action(request, pk: int, verb: str):
    """Accept or reject a change the catalog sync held for staff (a reason is required)."""
    change = get_object_or_404(PendingServiceChange, pk=pk)
    if verb not in ("accept", "reject"):
        raise Http404
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason to accept or reject a held change."))
        return redirect("staff:providers")
    reason = form.cleaned_data["reason"]
    try:
        if verb == "accept":
            providers.accept_service_change(change, actor=request.user, reason=reason)
        else:
            providers.reject_service_change(change, actor=request.user, reason=reason)
    except providers.ChangeNotOpen:
        messages.error(request, _("That change was already decided."))
    except ValidationError as exc:
        messages.error(
            request, _("The change cannot be applied: %(e)s") % {"e": "; ".join(exc.messages)}
        )
    else:
        done = _("Change accepted and published.") if verb == "accept" else _("Change rejected.")
        messages.success(request, done)
    return redirect("staff:providers")
