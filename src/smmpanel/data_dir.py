"""The data directory (``DATA_DIR``): the embedded shape's SQLite database and queue, and
the static files ``collectstatic`` gathers.

Settings only name it. The commands that write there create it before Django starts
(``smmpanel.cli``; ``wsgi.py`` for a server that loads the panel itself); the others
find it made, or, on SQLite, say which command makes it.
"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Commands that serve, work or write in the data directory: each makes it if missing.
MAKERS = frozenset({"demo", "migrate", "runserver", "worker", "run_huey", "collectstatic"})
# Commands that never open the database or the queue: they run without it.
NOT_NEEDING = frozenset({"help", "simulator"})


def prepare_data_dir() -> Path:
    """Create ``DATA_DIR``, its ``static/`` and the SQLite database's folder (when the
    database is SQLite) if missing; return ``DATA_DIR``.

    Raises ImproperlyConfigured, naming the directory and the reason, if one cannot be
    made (a file in the way, no permission)."""
    data_dir = Path(settings.DATA_DIR)
    folders = [data_dir, Path(settings.STATIC_ROOT)]
    if (database := _sqlite_folder()) is not None:
        folders.append(database)
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ImproperlyConfigured(
                f"DATA_DIR: cannot create {folder} ({exc.strerror or exc}); "
                "set DATA_DIR to a directory this user may write"
            ) from None
    return data_dir


def missing_data_dir() -> Path | None:
    """The folder of the SQLite database if it does not exist yet, else None.

    Other commands need nothing there: with PostgreSQL only ``collectstatic`` (a maker)
    writes in ``DATA_DIR``, and the embedded queue opens its file when a task is queued,
    which a command that is not a maker does at most on the side (a queue that cannot
    be reached leaves the work to the worker's sweep)."""
    folder = _sqlite_folder()
    return folder if folder is not None and not folder.is_dir() else None


def _sqlite_folder() -> Path | None:
    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("sqlite3"):
        return None
    return Path(database["NAME"]).parent
