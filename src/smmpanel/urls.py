from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("api/", include("smmpanel.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("staff/", include("smmpanel.staff.urls")),
    path("admin/", admin.site.urls),
    path("", include("smmpanel.web.urls")),
]
