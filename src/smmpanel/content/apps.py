from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "smmpanel.content"
    label = "content"
    verbose_name = "Content"
