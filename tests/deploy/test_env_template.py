"""deploy/smmpanel.env.example: it names every setting, and with its values (the secrets
filled in) ``smmpanel check --deploy`` is clean; left as shipped, it is not.

The template is read the way an operator's shell reads it (``set -a; . file``), in a
subprocess; ``check --deploy`` runs in another, as the real command.
"""

import re
import secrets
import subprocess
from pathlib import Path

from tests.deploy.conftest import DEPLOY, REPO, VENV_BIN, panel_env

TEMPLATE = DEPLOY / "smmpanel.env.example"
CONFIGURATION = REPO / "docs" / "configuration.md"
SETTINGS = REPO / "src" / "smmpanel" / "settings.py"
GUNICORN = DEPLOY / "gunicorn.conf.py"
# The template's placeholders, and what the test puts in their place: throwaway secrets,
# and a data directory of the test's own (settings create DATA_DIR).
SECRETS = ("SECRET_KEY", "API_KEY_PEPPER", "PROVIDER_KEY_SECRET", "EMAIL_HOST_PASSWORD")


def template_env() -> dict[str, str]:
    """The variables the template sets, as ``sh`` reads them (nothing else inherited)."""
    done = subprocess.run(
        ["sh", "-c", 'set -a && . "$0" && env -0', str(TEMPLATE)],
        env={},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    pairs = (item.split("=", 1) for item in done.stdout.split("\0") if "=" in item)
    return {k: v for k, v in pairs if k not in ("PWD", "SHLVL", "_", "OLDPWD")}


def documented_variables() -> set[str]:
    """The variables docs/configuration.md's tables name in their first column (with the
    EMAIL_… ones the EMAIL_HOST row names); of its "Used by tests and benchmarks only"
    table, only those deploy/gunicorn.conf.py reads."""
    production, tests_only = CONFIGURATION.read_text().split("## Used by tests and benchmarks")
    names = set()
    for part, wanted in ((production, ""), (tests_only, "deploy/gunicorn.conf.py")):
        for line in part.splitlines():
            cells = line.split("|")
            if not line.startswith("| `") or wanted not in cells[2]:
                continue
            first = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[1]))
            if "EMAIL_HOST" in first:
                first |= set(re.findall(r"`((?:EMAIL|DEFAULT_FROM)_[A-Z_]+)`", line))
            names |= first
    return names


def read_variables() -> set[str]:
    """Every variable settings.py (``env.str("NAME"…``) and deploy/gunicorn.conf.py
    (``os.environ.get("NAME"…``) read."""
    return set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', SETTINGS.read_text())) | set(
        re.findall(r'environ(?:\.get)?\(\s*"([A-Z][A-Z0-9_]+)"', GUNICORN.read_text())
    )


def named_in_template() -> set[str]:
    """Variables the template sets or shows commented out (``# NAME=…``)."""
    return set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", TEMPLATE.read_text(), re.MULTILINE))


def check_deploy(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV_BIN / "smmpanel"), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_template_names_every_documented_and_read_variable():
    documented, read = documented_variables(), read_variables()
    # The parsing found the tables and the settings, not nothing.
    assert {"DATABASE_URL", "TRUSTED_PROXY_COUNT", "EMAIL_PORT", "GUNICORN_BIND"} <= documented
    assert {"SECRET_KEY", "WORKER_THREADS", "EMAIL_TIMEOUT", "WEB_CONCURRENCY"} <= read

    assert documented - named_in_template() == set()
    assert read - named_in_template() == set()
    assert read - documented == set(), "a variable read but not in configuration.md"


def test_check_deploy_is_clean_with_the_templates_values(tmp_path):
    values = template_env()
    assert values["DEBUG"] == "false" and values["HTTPS"] == "true"
    assert values["SITE_NAME"] == "SMM Panel"  # quoted values read whole
    filled = {name: secrets.token_urlsafe(64) for name in SECRETS}
    env = {**panel_env(tmp_path), **values, **filled, "DATA_DIR": str(tmp_path / "data")}

    done = check_deploy(env, tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_the_template_as_shipped_fails_check_deploy(tmp_path):
    """Its placeholder SECRET_KEY is short and says CHANGE-ME: a copy nobody edited
    does not pass for a production configuration."""
    values = template_env()
    assert all(values[name].startswith("CHANGE-ME") for name in SECRETS)
    env = {**panel_env(tmp_path), **values, "DATA_DIR": str(tmp_path / "data")}

    done = check_deploy(env, tmp_path)

    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr + done.stdout


def test_the_variables_are_read_the_same_by_systemd_and_sh():
    """systemd's EnvironmentFile= and sh agree on the template: plain KEY=value lines,
    double quotes only around whole values, no $, backquote or backslash."""
    for line in TEMPLATE.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, value = line.split("=", 1)
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", name), line
        assert not re.search(r"[$`\\']", value), line
        assert '"' not in value.strip('"'), line
        assert value == value.strip(), line
