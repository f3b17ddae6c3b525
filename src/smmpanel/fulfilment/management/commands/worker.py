from django.core.management import call_command
from django.core.management.base import BaseCommand

from smmpanel.fulfilment.tasks import sweep


class Command(BaseCommand):
    help = "Run the background worker (Huey consumer: forwarding, status sync, sweeps)."

    def handle(self, **options):
        # Start sweeping now rather than at the next minute boundary (a no-op when
        # another worker sweeps). The sweep's lock dies with its holder
        # (smmpanel/periodic_lock.py), so a killed worker cannot block it; overlapping
        # sweeps would be harmless anyway, since every step claims its rows with
        # conditional UPDATEs, but one at a time keeps the provider's load predictable.
        sweep()
        call_command("run_huey")
