"""Web pages: notifications (the bell's list, mark read, preferences). Under ``web:``."""

from django.urls import path

from smmpanel.web.views import notifications

urlpatterns = [
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.notifications_read, name="notifications-read"),
    path(
        "notifications/preferences/",
        notifications.notification_preferences,
        name="notification-preferences",
    ),
]
