from django.core.management.base import BaseCommand

from smmpanel.notifications.worker_watch import watch_worker


class Command(BaseCommand):
    help = "Alert staff (email, Telegram) when the worker's heartbeat is missing; run by a timer."

    def handle(self, *args, **options):
        self.stdout.write(watch_worker())
