from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

# The admin signs in through allauth too, so it cannot bypass rate limits or 2FA.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("api/", include("smmpanel.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("staff/", include("smmpanel.staff.urls")),
    path("admin/", admin.site.urls),
    path("", include("smmpanel.web.urls")),
]
