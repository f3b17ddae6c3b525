import zoneinfo

from django.conf import settings
from django.utils import timezone, translation

from smmpanel.configuration.selectors import config as panel_config


class UserLanguageMiddleware:
    """A signed-in user's saved language applies unless they picked one in this browser
    (the language switcher sets the cookie); a visitor whose browser states no language
    gets the panel's default language (staff settings)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = self._language_for(request)
        if language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)

    @staticmethod
    def _language_for(request) -> str | None:
        if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
            return None  # chosen in this browser: LocaleMiddleware applied it
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user.language
        if not request.headers.get("Accept-Language"):
            return panel_config().default_language
        return None


# Staff pages and the admin stay in the panel's time zone (UTC by default): staff in
# several zones compare times in queues and audit records, and those pages say "(UTC)".
_PANEL_TIME_PATHS = ("/staff/", "/admin/")


class UserTimezoneMiddleware:
    """Dates on a signed-in customer's pages are shown in the time zone saved in their
    settings; a visitor's in the panel's default time zone (staff settings); staff pages
    and the admin in ``TIME_ZONE``.

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
        if request.path.startswith(_PANEL_TIME_PATHS):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return _default_zone()
        try:
            return zoneinfo.ZoneInfo(user.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return None  # an unknown saved zone falls back to the panel's


def _default_zone() -> zoneinfo.ZoneInfo | None:
    """The panel's default time zone for visitors (staff settings), or None for
    ``TIME_ZONE`` when it is unknown."""
    try:
        return zoneinfo.ZoneInfo(panel_config().default_time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
