from django.conf import settings
from django.utils import translation


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
