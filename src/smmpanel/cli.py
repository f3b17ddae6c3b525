"""The ``smmpanel`` console command: a thin wrapper over Django's manage.py.

Commands are spelled with dashes on the console (``seed-demo``) and with underscores
as Django management commands (``seed_demo``); both spellings work.
"""

import os
import sys

from smmpanel.deploy_checks import CONSOLE_EMAIL_BACKEND


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smmpanel.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    if len(argv) > 1 and argv[1] == "demo":
        # The demo's mail (password reset, verification) is read on its console; its
        # worker inherits this. Production never gets the console (deploy_checks.py).
        os.environ.setdefault("EMAIL_BACKEND", CONSOLE_EMAIL_BACKEND)
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
