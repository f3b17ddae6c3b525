"""Account pages: settings (language, timezone), API keys."""

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from smmpanel.accounts.models import ApiKey
from smmpanel.accounts.selectors import api_keys_of
from smmpanel.accounts.services import issue_api_key, revoke_api_key, update_preferences
from smmpanel.currencies.selectors import display_rates
from smmpanel.currencies.services import choose_display_currency
from smmpanel.web import form_tokens

TIMEZONES = sorted(zoneinfo.available_timezones())


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=settings.LANGUAGES)
    timezone = forms.ChoiceField(
        label=gettext_lazy("Time zone"), choices=[(tz, tz) for tz in TIMEZONES]
    )


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Key name"), max_length=100)


@login_required
def preferences(request):
    user = request.user
    form = PreferencesForm(
        request.POST or None, initial={"language": user.language, "timezone": user.timezone}
    )
    if request.method == "POST" and form.is_valid():
        update_preferences(user, **form.cleaned_data)
        # Said in the language just chosen: the next page is in it, and the notice with it.
        with translation.override(form.cleaned_data["language"]):
            messages.success(request, _("Settings saved."))
        response = redirect("web:settings")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, form.cleaned_data["language"], samesite="Lax"
        )
        return response
    return render(request, "web/settings.html", {"form": form, "display_rates": display_rates()})


@login_required
@require_POST
def display_currency(request):
    """Choose the currency amounts are also shown in (or none)."""
    chosen = choose_display_currency(request.user, request.POST.get("code", ""))
    if chosen is None:
        messages.success(
            request, _("Amounts are shown in %(currency)s only.") % {"currency": settings.CURRENCY}
        )
    else:
        messages.success(request, _("Amounts are also shown in %(code)s.") % {"code": chosen.code})
    return redirect("web:settings")


API_KEY_FORM = "api-key"


@login_required
def api_keys(request):
    """Create and list API keys. A new key's plaintext is shown once, in the answer to
    the POST itself (never stored, not even in the session); reloading that answer
    resends the form, whose one-time token is spent by then, so no second key."""
    form = ApiKeyForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        if not form_tokens.spend(request, API_KEY_FORM, request.POST.get("once", "")):
            resent = _("This form was sent already; its key was shown then.")
            messages.info(request, resent)
            return redirect("web:api-keys")
        issued = issue_api_key(request.user, form.cleaned_data["name"]).plaintext
        form = ApiKeyForm()
    response = render(
        request,
        "web/api_keys.html",
        {
            "form": form,
            "issued": issued,
            "keys": api_keys_of(request.user),
            "once": form_tokens.issue(request, API_KEY_FORM),
        },
    )
    # The page may hold a secret: neither the browser nor a proxy may keep it.
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
