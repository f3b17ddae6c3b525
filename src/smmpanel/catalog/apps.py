from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class CatalogConfig(AppConfig):
    name = "smmpanel.catalog"
    label = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from smmpanel.catalog import active_catalog, price_rule_owners
        from smmpanel.catalog.models import Category, CustomRate, Platform, Service

        for model in (Service, Category, Platform):
            for signal in (post_save, post_delete):
                uid = f"active-catalog-{model.__name__}"
                signal.connect(active_catalog.forget_on_change, sender=model, dispatch_uid=uid)
        for signal in (post_save, post_delete):
            signal.connect(
                price_rule_owners.forget_on_change,
                sender=CustomRate,
                dispatch_uid="price-rule-owners",
            )
