"""Staff pages: funds. Included by staff/urls.py under the `staff` namespace."""

from django.urls import path

from smmpanel.staff.views import funds as views_funds

urlpatterns = [
    path("funds/deposits/", views_funds.deposits, name="deposits"),
    path(
        "funds/deposits/<int:pk>/<slug:verb>/",
        views_funds.deposit_action,
        name="deposit-action",
    ),
    path("funds/users/<int:user_id>/chargeback/", views_funds.chargeback, name="chargeback"),
]
