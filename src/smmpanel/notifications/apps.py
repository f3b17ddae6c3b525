from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "smmpanel.notifications"
    label = "notifications"
    verbose_name = "Notifications"
