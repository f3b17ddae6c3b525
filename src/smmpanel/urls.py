from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from smmpanel.staff.permissions import has_second_factor

# The admin signs in through allauth too, so it cannot bypass rate limits or 2FA, and
# like every staff page it is open only to staff who have set up two-factor sign-in.
admin.site.login = secure_admin_login(admin.site.login)
_admin_has_permission = admin.site.has_permission


def _admin_permission_with_second_factor(request) -> bool:
    if not _admin_has_permission(request):
        return False
    return not settings.STAFF_REQUIRE_2FA or has_second_factor(request.user)


admin.site.has_permission = _admin_permission_with_second_factor

urlpatterns = [
    path("api/", include("smmpanel.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("staff/", include("smmpanel.staff.urls")),
    path("admin/", admin.site.urls),
    path("", include("smmpanel.web.urls")),
]
