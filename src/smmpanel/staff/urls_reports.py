"""Staff pages: reports. Included by staff/urls.py under the `staff` namespace."""

from django.urls import path

from smmpanel.staff.views import reports as views_reports

urlpatterns = [
    path("reports/", views_reports.reports, name="reports"),
    path("reports/<slug:slug>/", views_reports.report, name="report"),
]
