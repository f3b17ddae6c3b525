from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background worker (Huey consumer: forwarding, status sync, sweeps)."

    def handle(self, **options):
        call_command("run_huey")
