"""Staff pages: panel settings (owner only), display currencies. Under `staff`."""

from django.urls import path

from smmpanel.staff import views_currencies, views_settings

urlpatterns = [
    path("settings/", views_settings.panel_settings, name="settings"),
    path("currencies/", views_currencies.currencies, name="currencies"),
]
