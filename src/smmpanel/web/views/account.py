"""Account pages: home, settings (language, timezone), API keys."""

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from smmpanel.accounts.models import ApiKey
from smmpanel.accounts.selectors import api_keys_of
from smmpanel.accounts.services import issue_api_key, revoke_api_key, update_preferences
from smmpanel.billing.selectors import balance_of
from smmpanel.orders.selectors import recent_orders

TIMEZONES = sorted(zoneinfo.available_timezones())


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=settings.LANGUAGES)
    timezone = forms.ChoiceField(
        label=gettext_lazy("Time zone"), choices=[(tz, tz) for tz in TIMEZONES]
    )


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Key name"), max_length=100)


@login_required
def home(request):
    return render(
        request,
        "web/home.html",
        {
            "balance": balance_of(request.user),
            "orders": recent_orders(request.user, 20),
        },
    )


@login_required
def preferences(request):
    user = request.user
    form = PreferencesForm(
        request.POST or None, initial={"language": user.language, "timezone": user.timezone}
    )
    if request.method == "POST" and form.is_valid():
        update_preferences(user, **form.cleaned_data)
        messages.success(request, _("Settings saved."))
        response = redirect("web:settings")
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, form.cleaned_data["language"],
                            samesite="Lax")  # fmt: skip
        return response
    return render(request, "web/settings.html", {"form": form})


# The new key's plaintext waits here between the POST that made it and the GET after the
# redirect, which pops it: shown exactly once, and a reload cannot create a second key.
ISSUED_KEY_SESSION = "web.issued_api_key"


@login_required
def api_keys(request):
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        issued = issue_api_key(request.user, form.cleaned_data["name"])
        request.session[ISSUED_KEY_SESSION] = issued.plaintext
        return redirect("web:api-keys")
    issued = request.session.pop(ISSUED_KEY_SESSION, None) if request.method == "GET" else None
    response = render(
        request,
        "web/api_keys.html",
        {"form": form, "issued": issued, "keys": api_keys_of(request.user)},
    )
    if issued:
        # The page holding a secret must not be kept by the browser or a proxy.
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke_key(request, key_id: int):
    key = ApiKey.objects.filter(pk=key_id, user=request.user).first()
    if key is None:
        raise Http404
    revoke_api_key(key)
    messages.success(request, _("Key %(name)s revoked.") % {"name": key.name})
    return redirect("web:api-keys")


def health(request):
    """The trivial endpoint: the server's ceiling in benchmarks, a liveness probe in prod."""
    return HttpResponse(b'{"ok":true}', content_type="application/json")
