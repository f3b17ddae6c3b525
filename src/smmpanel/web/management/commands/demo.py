import subprocess
import sys
import time

import httpx
from django.core.management import call_command
from django.core.management.base import BaseCommand

from smmpanel.providers.models import Provider
from smmpanel.providers.services import add_provider, route_unrouted_services

SIMULATOR_KEY = "demo-simulator-key"


class Command(BaseCommand):
    help = (
        "Migrate, load the demo data, then run the web server, a worker and the provider "
        "SIMULATOR together (the simulator delivers nothing; it pretends, by the clock)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--simulator-port", type=int, default=8001)

    def handle(self, addr, simulator_port, **options):
        call_command("migrate", verbosity=0)
        call_command("seed_demo")
        python = [sys.executable, "-m", "smmpanel.cli"]
        simulator = subprocess.Popen(
            [
                *python,
                "simulator",
                "--port",
                str(simulator_port),
                "--key",
                SIMULATOR_KEY,
                "--start-delay",
                "5",
                "--speed",
                "20",
                "--partial-rate",
                "0.1",
            ]  # fmt: skip
        )
        worker = None
        try:
            self._connect_simulator(f"http://127.0.0.1:{simulator_port}/api/v2")
            worker = subprocess.Popen([*python, "worker"])
            self.stdout.write(f"\nopen http://{addr}/  (log in with the customer above)")
            self.stdout.write(f"API v2 endpoint: http://{addr}/api/v2\n")
            call_command("runserver", addr, use_reloader=False)
        finally:
            for process in (worker, simulator):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=10)

    def _connect_simulator(self, url: str) -> None:
        for _ in range(50):  # bounded wait for the simulator to listen
            try:
                httpx.post(url, data={"key": SIMULATOR_KEY, "action": "balance"}, timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        provider = Provider.objects.filter(name="Simulator").first()
        if provider is None:
            provider = add_provider("Simulator", url, SIMULATOR_KEY, allow_private=True)
        routed = route_unrouted_services(provider)
        self.stdout.write(f"provider SIMULATOR at {url}: {routed} services newly routed")
