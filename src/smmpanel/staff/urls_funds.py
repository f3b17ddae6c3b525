"""Staff pages: funds. Included by staff/urls.py under the `staff` namespace."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
