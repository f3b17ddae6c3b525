from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "smmpanel.api"
    label = "api"
    verbose_name = "Api"
