from django.conf import settings
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from smmpanel.configuration.selectors import config
from smmpanel.content.selectors import footer_pages
from smmpanel.currencies.selectors import NONE, display_for
from smmpanel.policy.selectors import notices_for


def site(request):
    """Site name, logo, support contacts (staff settings page), currency, the name of
    the time zone dates are shown in (for column headers), the pages linked from the
    footer, the customer's display currency (``DISPLAY``) and, for a signed-in customer,
    the notices about their account (restriction,
    balance review, API limitation) shown on every page."""
    current = config()
    context = {
        "SITE_NAME": current.site_name,
        "SITE_LOGO_VERSION": current.logo_version,
        "SUPPORT_EMAIL": current.support_email,
        "SUPPORT_TELEGRAM": current.support_telegram,
        "CURRENCY": settings.CURRENCY,
        # Lazy: read when a template shows it, after the middleware chose the zone.
        "TIME_ZONE_NAME": timezone.get_current_timezone_name,
        # Lazy too: read when the footer shows them.
        "FOOTER_PAGES": footer_pages,
    }
    user = getattr(request, "user", None)
    # Read once, when a page first shows an amount in it.
    context["DISPLAY"] = SimpleLazyObject(lambda: display_for(user)) if user else NONE
    if user is not None and user.is_authenticated:
        context["account_notices"] = notices_for(user)
    return context
