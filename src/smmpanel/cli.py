"""The ``smmpanel`` console command: a thin wrapper over Django's manage.py.

Commands are spelled with dashes on the console (``seed-demo``) and with underscores
as Django management commands (``seed_demo``); both spellings work.
"""

import os
import sys

from django.core.exceptions import ImproperlyConfigured

from smmpanel.data_dir import MAKERS, NOT_NEEDING, missing_data_dir, prepare_data_dir
from smmpanel.deploy_checks import CONSOLE_EMAIL_BACKEND


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smmpanel.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
        try:
            _data_dir_for(argv[1])
        except ImproperlyConfigured as exc:  # a wrong DATABASE_URL, an unusable DATA_DIR
            sys.exit(f"smmpanel: {exc}")
    if len(argv) > 1 and argv[1] == "demo":
        # The demo's mail (password reset, verification) is read on its console; its
        # worker inherits this. Production never gets the console (deploy_checks.py).
        os.environ.setdefault("EMAIL_BACKEND", CONSOLE_EMAIL_BACKEND)
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


def _data_dir_for(command: str) -> None:
    """Make the data directory for a command that writes there; stop any other that
    would need it before it exists, saying which command makes it."""
    if command in MAKERS:
        prepare_data_dir()
    elif command not in NOT_NEEDING and (missing := missing_data_dir()) is not None:
        raise ImproperlyConfigured(
            f"the database's directory {missing} does not exist yet: `smmpanel migrate` "
            "creates it (or set DATA_DIR or DATABASE_URL to where the panel's data is)"
        )


if __name__ == "__main__":
    main()
