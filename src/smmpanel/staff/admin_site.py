"""Django's admin as the back office allows it: signed in through allauth (so it cannot
bypass rate limits or two-factor sign-in) and, like every staff page, open only to staff
who have set up two-factor sign-in (``STAFF_REQUIRE_2FA``). ``AdminSiteConfig`` makes it
the default admin site."""

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin

from smmpanel.staff.permissions import has_second_factor


class StaffAdminSite(admin.AdminSite):
    def login(self, request, extra_context=None):
        return secure_admin_login(super().login)(request, extra_context)

    def has_permission(self, request) -> bool:
        if not super().has_permission(request):
            return False
        return not settings.STAFF_REQUIRE_2FA or has_second_factor(request.user)
