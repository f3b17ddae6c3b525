from django.conf import settings
from django.utils import timezone


def site(request):
    """Site name, currency, the name of the time zone dates are shown in (for column
    headers) and, for a signed-in customer, the notices about their account
    (restriction, balance review, API limitation) shown on every page."""
    context = {
        "SITE_NAME": settings.SITE_NAME,
        "CURRENCY": settings.CURRENCY,
        # Lazy: read when a template shows it, after the middleware chose the zone.
        "TIME_ZONE_NAME": timezone.get_current_timezone_name,
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from smmpanel.policy.selectors import notices_for

        context["account_notices"] = notices_for(user)
    return context
