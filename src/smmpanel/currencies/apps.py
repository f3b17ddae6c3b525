from django.apps import AppConfig


class CurrenciesConfig(AppConfig):
    name = "smmpanel.currencies"
    label = "currencies"
    verbose_name = "Display currencies"
