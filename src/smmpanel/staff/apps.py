from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "smmpanel.staff"
    label = "staff"
    verbose_name = "Staff back-office"
