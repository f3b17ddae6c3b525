from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("api/", include("smmpanel.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("staff/", include("smmpanel.staff.urls")),
    # The staff admin site (staff/admin_site.py): allauth sign-in, two factors.
    path("admin/", admin.site.urls),
    path("", include("smmpanel.web.urls")),
]
