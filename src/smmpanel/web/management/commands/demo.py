import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate, load the demo data, then run the web server and a worker together."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, addr, **options):
        call_command("migrate", verbosity=0)
        call_command("seed_demo")
        self.stdout.write(f"\nopen http://{addr}/  (log in with the customer above)")
        self.stdout.write(f"API v2 endpoint: http://{addr}/api/v2\n")
        worker = subprocess.Popen([sys.executable, "-m", "smmpanel.cli", "worker"])
        try:
            call_command("runserver", addr, use_reloader=False)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
