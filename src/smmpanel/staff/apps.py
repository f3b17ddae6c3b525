from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class StaffConfig(AppConfig):
    name = "smmpanel.staff"
    label = "staff"
    verbose_name = "Staff back-office"


class AdminSiteConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with the staff rules (``staff.admin_site``); named in
    ``INSTALLED_APPS`` in place of ``django.contrib.admin``."""

    default = False  # StaffConfig stays this module's app config

    default_site = "smmpanel.staff.admin_site.StaffAdminSite"
