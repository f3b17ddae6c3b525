"""Staff pages: panel settings (owner only). Included by staff/urls.py under `staff`."""

from django.urls import path

from smmpanel.staff import views_settings

urlpatterns = [
    path("settings/", views_settings.panel_settings, name="settings"),
]
