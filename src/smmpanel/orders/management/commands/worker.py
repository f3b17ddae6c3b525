from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background worker (Huey consumer: forwarding, status sync, sweeps)."

    def handle(self, **options):
        from smmpanel.providers.tasks import sweep

        # Start sweeping now rather than at the next minute boundary. Locks left by a
        # killed worker are flushed at start-up (HUEY consumer "flush_locks"), so the
        # sweep cannot stay blocked; overlapping sweeps are harmless anyway, since every
        # step claims its rows with conditional UPDATEs.
        sweep()
        call_command("run_huey")
