from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "smmpanel.policy"
    label = "policy"
    verbose_name = "Acceptable-use policy"
