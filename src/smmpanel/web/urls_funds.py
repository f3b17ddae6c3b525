"""Web pages: funds. Included by web/urls.py under the `web` namespace."""

from django.urls import path

from smmpanel.web.views import funds

urlpatterns = [
    path("funds/", funds.funds, name="funds"),
    path("funds/deposit/", funds.deposit, name="funds-deposit"),
    path("funds/history/", funds.transactions, name="transactions"),
]
