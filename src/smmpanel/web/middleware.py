import zoneinfo

from django.conf import settings
from django.utils import timezone, translation


class UserLanguageMiddleware:
    """A signed-in user's saved language applies unless they picked one in this browser
    (the language switcher sets the cookie)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and user.language in dict(settings.LANGUAGES)
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


# Staff pages and the admin stay in the panel's time zone (UTC by default): staff in
# several zones compare times in queues and audit records, and those pages say "(UTC)".
_PANEL_TIME_PATHS = ("/staff/", "/admin/")


class UserTimezoneMiddleware:
    """Dates on a signed-in customer's pages are shown in the time zone saved in their
    settings; anonymous pages and staff pages use the panel's ``TIME_ZONE``.

    Storage stays aware UTC: this only changes how templates render a datetime. The zone
    is set (or reset) on every request, so a worker thread never carries one user's zone
    into the next request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = self._zone_for(request)
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    @staticmethod
    def _zone_for(request) -> zoneinfo.ZoneInfo | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(_PANEL_TIME_PATHS):
            return None
        try:
            return zoneinfo.ZoneInfo(user.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return None  # an unknown saved zone falls back to the panel's
