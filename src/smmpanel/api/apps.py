from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ApiConfig(AppConfig):
    name = "smmpanel.api"
    label = "api"
    verbose_name = "Api"

    def ready(self) -> None:
        from smmpanel.api import service_list
        from smmpanel.catalog.models import Category, Platform, Service

        for model in (Service, Category, Platform):
            for signal in (post_save, post_delete):
                uid = f"services-answer-{model.__name__}"
                signal.connect(service_list.forget_on_change, sender=model, dispatch_uid=uid)
