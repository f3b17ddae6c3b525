"""Web pages: public. Included by web/urls.py under the `web` namespace."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
