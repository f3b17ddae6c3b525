from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class CatalogConfig(AppConfig):
    name = "smmpanel.catalog"
    label = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from smmpanel.catalog import active_catalog
        from smmpanel.catalog.models import Category, Platform, Service

        for model in (Service, Category, Platform):
            for signal in (post_save, post_delete):
                uid = f"active-catalog-{model.__name__}"
                signal.connect(active_catalog.forget_on_change, sender=model, dispatch_uid=uid)
