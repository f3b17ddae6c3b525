"""The data directory is named by the settings and made by the commands that write there,
never by importing the settings."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from smmpanel.cli import _data_dir_for
from smmpanel.data_dir import prepare_data_dir

START_DJANGO = "import django; django.setup(); from smmpanel.fulfilment.tasks import sweep"


def test_starting_django_creates_no_directory(tmp_path):
    data = tmp_path / "data"
    env = {**os.environ, "DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "smmpanel.settings"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)  # the embedded shape: SQLite database and queue

    subprocess.run([sys.executable, "-c", START_DJANGO], env=env, check=True, timeout=60)

    assert not data.exists()


def test_preparing_makes_the_directory_and_its_static_folder(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "a" / "b"
    settings.STATIC_ROOT = settings.DATA_DIR / "static"

    assert prepare_data_dir() == settings.DATA_DIR
    assert settings.STATIC_ROOT.is_dir()


def test_a_directory_that_cannot_be_made_is_a_clear_error(settings, tmp_path):
    (tmp_path / "file").write_text("in the way")
    settings.DATA_DIR = tmp_path / "file" / "data"
    settings.STATIC_ROOT = settings.DATA_DIR / "static"

    with pytest.raises(ImproperlyConfigured, match=r"DATA_DIR: cannot create .*file/data"):
        prepare_data_dir()


@pytest.mark.parametrize("command", ["demo", "migrate", "runserver", "worker"])
def test_the_commands_that_write_there_make_it(settings, tmp_path, command):
    settings.DATA_DIR = tmp_path / "data"
    settings.STATIC_ROOT = settings.DATA_DIR / "static"

    _data_dir_for(command)

    assert settings.DATA_DIR.is_dir()
