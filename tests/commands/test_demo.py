"""``smmpanel demo`` run for real: its own simulator or nothing, its provider pointed at
that simulator, its children ending with it, and what staff must set up told."""

import shutil
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from smmpanel.catalog.demo_catalog import DEMO_SERVICES
from tests.commands.demo_process import LOOPBACK, Demo, free_port, port_is_free
from tests.commands.test_cli import Panel

STALE_SIMULATOR_URL = f"http://{LOOPBACK}:9/api/v2"  # discard port: nothing listens there
ADD_STALE_SIMULATOR = f"""
from smmpanel.providers.services import add_provider
add_provider("Simulator", {STALE_SIMULATOR_URL!r}, "old-key", allow_private=True)
"""


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """A database migrated once; each demo gets a copy (the demo migrates it again)."""
    panel = Panel(tmp_path_factory.mktemp("demo-migrated"))
    panel.run("migrate", "--no-input")
    return panel.db


def fresh_panel(migrated, root) -> Panel:
    panel = Panel(root)
    shutil.copy(migrated, panel.db)
    return panel


@pytest.fixture
def demo(migrated, tmp_path):
    demo = Demo(
        fresh_panel(migrated, tmp_path),
        tmp_path / "demo.log",
        web_port=free_port(),
        simulator_port=free_port(),
    )
    yield demo
    demo.kill_everything_left()


@pytest.fixture
def http_server_on():
    """``http_server_on()``: any plain HTTP server listening on loopback (it answers
    API v2's POSTs with HTTP 501); its port."""
    servers = []

    def start() -> int:
        server = ThreadingHTTPServer((LOOPBACK, 0), BaseHTTPRequestHandler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_address[1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def running_demo(migrated, tmp_path_factory):
    """One demo serving, started over a data directory whose ``Simulator`` provider
    still points at a simulator of an earlier run, on another port."""
    root = tmp_path_factory.mktemp("demo-running")
    panel = fresh_panel(migrated, root)
    panel.run("shell", "-c", ADD_STALE_SIMULATOR)
    demo = Demo(panel, root / "demo.log", web_port=free_port(), simulator_port=free_port())
    demo.start()
    try:
        assert demo.wait_until_serving(), demo.output
        yield demo
    finally:
        demo.kill_everything_left()


# -- something else on its ports ---------------------------------------------------------


def test_demo_with_its_simulator_port_taken_names_the_port_and_the_option(demo, http_server_on):
    demo.simulator_port = http_server_on()

    process = demo.run_to_the_end()

    assert process.returncode != 0
    assert process.stderr_text.strip().splitlines() == [
        f"CommandError: port {demo.simulator_port} is taken: something else is listening "
        "there; choose another with --simulator-port"
    ]


def test_demo_with_its_simulator_port_taken_leaves_nothing_running(demo, http_server_on):
    demo.simulator_port = http_server_on()

    demo.run_to_the_end()

    assert demo.ended_with_its_children()
    assert port_is_free(demo.web_port)


def test_demo_with_its_web_address_taken_names_the_address_and_the_option(demo, http_server_on):
    demo.web_port = http_server_on()

    process = demo.run_to_the_end()

    assert process.returncode != 0
    assert process.stderr_text.strip().splitlines() == [
        f"CommandError: {LOOPBACK}:{demo.web_port} is taken: something else is listening "
        "there; choose another with --addr"
    ]


def test_demo_with_its_web_address_taken_leaves_nothing_running(demo, http_server_on):
    demo.web_port = http_server_on()

    demo.run_to_the_end()

    assert demo.ended_with_its_children()
    assert port_is_free(demo.simulator_port)


# -- its provider is its own simulator ----------------------------------------------------


def test_demo_points_the_simulator_provider_left_by_an_earlier_run_at_its_simulator(
    running_demo,
):
    assert running_demo.panel.sql("SELECT api_url FROM providers_provider") == [
        (f"http://{LOOPBACK}:{running_demo.simulator_port}/api/v2",)
    ]


def test_demo_records_the_change_of_its_simulator_provider_in_the_audit_log(running_demo):
    assert running_demo.panel.sql(
        "SELECT point, reason FROM policy_decision WHERE rule_code = 'provider.update'"
    ) == [("system", "provider Simulator: api_url, key (now ending -key)")]


def test_demo_routes_every_demo_service_to_its_simulator(running_demo):
    assert running_demo.panel.sql(
        "SELECT count(*) FROM providers_serviceroute r JOIN providers_provider p"
        " ON p.id = r.provider_id WHERE p.api_url LIKE ?",
        f"%:{running_demo.simulator_port}/api/v2",
    ) == [(len(DEMO_SERVICES),)]


# -- what staff must know -----------------------------------------------------------------


def test_demo_says_staff_pages_need_an_authenticator_and_where_to_set_it_up(running_demo):
    web = running_demo.web

    assert (
        f"staff pages ({web}/staff/) open only with an authenticator app (TOTP): log in as "
        f"admin@example.com, open {web}/accounts/2fa/totp/activate/ and scan the QR code"
    ) in running_demo.output


# -- its children end with it -------------------------------------------------------------


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_demo_stopped_by_a_signal_ends_its_worker_and_simulator(demo, stop):
    demo.start()
    assert demo.wait_until_serving(), demo.output

    demo.process.send_signal(stop)

    assert demo.ended_with_its_children(), demo.output
    assert port_is_free(demo.simulator_port) and port_is_free(demo.web_port)


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
def test_demo_killed_outright_takes_its_worker_with_it(demo):
    demo.start()
    assert demo.wait_until_serving(), demo.output

    demo.process.kill()

    assert demo.ended_with_its_children(), demo.output
