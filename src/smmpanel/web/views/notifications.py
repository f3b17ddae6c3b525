"""Notification pages: the list behind the header's bell, mark read, preferences."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smmpanel.notifications.kinds import CUSTOMER_KINDS
from smmpanel.notifications.selectors import recent_for, unread_count
from smmpanel.notifications.services import mark_read, set_preferences


@login_required
def notification_list(request):
    """The customer's latest notifications, unread ones marked."""
    return render(
        request,
        "web/notifications.html",
        {"notifications": recent_for(request.user), "unread": unread_count(request.user)},
    )


@login_required
@require_POST
def notifications_read(request):
    """Mark one notification (``id``) or all of them read."""
    one = request.POST.get("id", "")
    mark_read(request.user, [int(one)] if one.isascii() and one.isdigit() else None)
    return redirect("web:notifications")


@login_required
@require_POST
def notification_preferences(request):
    """Save which kinds the customer wants in the panel and by email."""
    set_preferences(
        request.user,
        {
            kind: (f"panel-{kind}" in request.POST, f"email-{kind}" in request.POST)
            for kind in CUSTOMER_KINDS
        },
    )
    messages.success(request, _("Notification settings saved."))
    return redirect("web:settings")
