"""Customer web pages, one URL module per area (see urls_*.py), all under ``web:``."""

from django.urls import include, path

app_name = "web"
urlpatterns = [
    path("", include("smmpanel.web.urls_account")),
    path("", include("smmpanel.web.urls_orders")),
    path("", include("smmpanel.web.urls_funds")),
    path("", include("smmpanel.web.urls_public")),
    path("", include("smmpanel.web.urls_tickets")),
    path("", include("smmpanel.web.urls_notifications")),
    path("", include("smmpanel.web.urls_content")),
]
