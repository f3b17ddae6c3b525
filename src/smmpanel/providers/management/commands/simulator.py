"""``smmpanel simulator``: run the upstream provider SIMULATOR in the foreground."""

from django.core.management.base import BaseCommand, CommandError

from smmpanel.providers.simulator.server import add_arguments, run_forever


class Command(BaseCommand):
    help = (
        "Run the built-in upstream provider SIMULATOR (API v2) until Ctrl-C. A development "
        "and test tool: it talks to no social platform and delivers nothing."
    )

    def add_arguments(self, parser):
        add_arguments(parser)

    def handle(self, *args, **options):
        try:
            run_forever(out=self.stdout, **options)
        except (ValueError, OSError) as exc:  # a setting out of range, a port in use
            raise CommandError(f"simulator: {exc}") from exc
