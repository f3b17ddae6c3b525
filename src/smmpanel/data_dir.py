"""The data directory (``DATA_DIR``): the embedded shape's SQLite database and queue, and
the static files ``collectstatic`` gathers.

Settings only name it. The commands that write there create it before Django starts
(``smmpanel.cli``; ``wsgi.py`` for a server that loads the panel itself); the others
find it made, or say which command makes it.
"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Commands that serve, work or write in the data directory: each makes it if missing.
MAKERS = frozenset({"demo", "migrate", "runserver", "worker", "run_huey", "collectstatic"})
# Commands that never open the database or the queue: they run without it.
NOT_NEEDING = frozenset({"help", "simulator"})


def prepare_data_dir() -> Path:
    """Create ``DATA_DIR`` and its ``static/`` if missing; return ``DATA_DIR``.

    Raises ImproperlyConfigured, naming the directory and the reason, if it cannot be
    made (a file in the way, no permission)."""
    data_dir = Path(settings.DATA_DIR)
    for folder in (data_dir, Path(settings.STATIC_ROOT)):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ImproperlyConfigured(
                f"DATA_DIR: cannot create {folder} ({exc.strerror or exc}); "
                "set DATA_DIR to a directory this user may write"
            ) from None
    return data_dir


def missing_data_dir() -> Path | None:
    """``DATA_DIR`` if the panel needs it here and it does not exist yet, else None.

    Needed by the embedded shape only: an SQLite database or Huey's SQLite queue. With
    PostgreSQL and Redis nothing but ``collectstatic`` (a maker) writes there."""
    data_dir = Path(settings.DATA_DIR)
    embedded = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") or not settings.REDIS_URL
    return data_dir if embedded and not data_dir.is_dir() else None
