"""Web pages: funds and payments. Included by web/urls.py under the `web` namespace."""

from django.urls import path

from smmpanel.web.views import funds, payments

urlpatterns = [
    path("funds/", funds.funds, name="funds"),
    path("funds/quote/", funds.quote, name="funds-quote"),
    path("funds/deposit/", funds.deposit, name="funds-deposit"),
    path("funds/history/", funds.transactions, name="transactions"),
    path("funds/payments/", payments.history, name="payments"),
    path("funds/payments/<str:reference>/", payments.receipt, name="receipt"),
    path("payments/notify/<slug:code>/", payments.notification, name="payment-notification"),
]
