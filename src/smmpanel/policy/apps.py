from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class PolicyConfig(AppConfig):
    name = "smmpanel.policy"
    label = "policy"
    verbose_name = "Acceptable-use policy"

    def ready(self) -> None:
        from smmpanel.policy import rule_cache
        from smmpanel.policy.models import DenyEntry, Rule

        for model in (Rule, DenyEntry):
            for signal in (post_save, post_delete):
                signal.connect(
                    rule_cache.forget_on_change, sender=model, dispatch_uid=f"forget-{model}"
                )
