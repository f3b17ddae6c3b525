from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ConfigurationConfig(AppConfig):
    name = "smmpanel.configuration"
    label = "configuration"
    verbose_name = "Panel configuration"

    def ready(self) -> None:
        from smmpanel.configuration import selectors
        from smmpanel.configuration.models import PanelSettings

        for signal in (post_save, post_delete):
            signal.connect(
                selectors.forget_on_change, sender=PanelSettings, dispatch_uid=f"forget-{signal}"
            )
