"""Staff pages: panel settings (owner only), display currencies. Under `staff`."""

from django.urls import path

from smmpanel.staff.views import currencies as views_currencies
from smmpanel.staff.views import payments as views_payments
from smmpanel.staff.views import settings as views_settings

urlpatterns = [
    path("settings/", views_settings.panel_settings, name="settings"),
    path("settings/payments/", views_payments.payment_settings, name="payment-settings"),
    path(
        "settings/payments/<slug:gateway>/",
        views_payments.payment_gateway,
        name="payment-gateway",
    ),
    path("currencies/", views_currencies.currencies, name="currencies"),
]
