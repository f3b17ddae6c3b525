"""``smmpanel addprovider NAME URL KEY``: the set-up script's way to add a provider,
with the staff page's checks (SSRF rules) and an audit record."""

import subprocess
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from smmpanel.audit.models import Decision
from smmpanel.providers.models import Provider
from smmpanel.providers.secrets import unseal
from tests.deploy.conftest import VENV_BIN, panel_env

SIMULATOR = "http://127.0.0.1:8001/api/v2"


def add(*args: str) -> str:
    out = StringIO()
    call_command("addprovider", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_prints_the_new_providers_id_alone():
    printed = add("Upstream", "https://203.0.114.10/api/v2", "their-key-1234")

    provider = Provider.objects.get()
    assert printed == f"{provider.pk}\n"
    assert (provider.name, provider.api_url, provider.allow_private) == (
        "Upstream",
        "https://203.0.114.10/api/v2",
        False,
    )
    assert unseal(provider.api_key_sealed) == "their-key-1234"
    record = Decision.objects.get(rule_code="provider.add")
    assert record.actor is None and "from the console" in record.reason
    assert "their-key" not in str(record.inputs) + record.reason


@pytest.mark.django_db
def test_a_simulator_on_loopback_needs_allow_private():
    with pytest.raises(CommandError, match="must start with https://"):
        add("Sim", SIMULATOR, "k")
    with pytest.raises(CommandError, match="loopback"):
        add("Sim", "https://127.0.0.1/api/v2", "k")
    assert not Provider.objects.exists()

    add("Sim", SIMULATOR, "k", "--allow-private")

    assert Provider.objects.get().allow_private


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("X", "https://169.254.169.254/api/v2", "k", "--allow-private"), "metadata"),
        (("X", "not a url", "k"), "url:"),
        (("X", "https://203.0.114.10/api/v2", ""), "api_key: This field is required"),
        (("", "https://203.0.114.10/api/v2", "k"), "name: This field is required"),
    ],
)
def test_bad_input_is_refused_and_adds_nothing(args, error):
    with pytest.raises(CommandError, match=error):
        add(*args)
    assert not Provider.objects.exists()


@pytest.mark.django_db
def test_a_name_taken_is_refused():
    add("Sim", SIMULATOR, "k", "--allow-private")
    with pytest.raises(CommandError, match="already exists"):
        add("Sim", "http://127.0.0.1:9/api/v2", "k", "--allow-private")
    assert Provider.objects.count() == 1


def test_the_console_command_one_line_error_and_exit_status(tmp_path):
    env = panel_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    smmpanel = str(VENV_BIN / "smmpanel")
    migrate = subprocess.run(
        [smmpanel, "migrate", "-v0"], env=env, capture_output=True, text=True, timeout=300
    )
    assert migrate.returncode == 0, migrate.stderr

    refused = subprocess.run(
        [smmpanel, "addprovider", "Sim", SIMULATOR, "k"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    added = subprocess.run(
        [smmpanel, "addprovider", "Sim", SIMULATOR, "k", "--allow-private"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and "https://" in refused.stderr
    assert added.returncode == 0 and added.stdout.strip().isdigit(), added.stderr
