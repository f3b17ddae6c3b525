"""``DATABASE_URL`` read strictly: PostgreSQL or an SQLite file, anything else an error.

django-environ turns any URL into some database settings: ``mysql://`` becomes MySQL,
a misspelt scheme becomes an engine named after it, ``sqlite:///`` becomes an in-memory
database each process has to itself, and text that is not a URL becomes nothing at all.
The panel runs on PostgreSQL (production) and SQLite (the embedded default) only, so
each of those is refused at start-up with the reason, rather than discovered later as a
failing import, a lost database or an empty panel.
"""

from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

POSTGRES_SCHEMES = frozenset({"postgres", "postgresql", "pgsql"})
EXAMPLES = "postgres://USER:PASSWORD@HOST:5432/NAME or sqlite:////absolute/path/panel.sqlite3"


def database_from_url(url: str, default_sqlite_file: str) -> dict:
    """Django's settings for the database ``url`` names; without one (unset or empty),
    the SQLite file ``default_sqlite_file``. Raises ImproperlyConfigured for a URL that
    does not name a PostgreSQL database or an SQLite file."""
    url = url.strip()
    if not url:
        url = f"sqlite:///{default_sqlite_file}"
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    if not scheme:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL; use {EXAMPLES}")
    if scheme not in POSTGRES_SCHEMES | {"sqlite"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL: the panel runs on PostgreSQL or SQLite, not {scheme!r}; use {EXAMPLES}"
        )
    try:
        config = environ.Env.db_url_config(url)
    except (ValueError, KeyError) as exc:  # a port that is not a number, a bad option
        raise ImproperlyConfigured(f"DATABASE_URL cannot be read ({exc}); use {EXAMPLES}") from None
    name = str(config.get("NAME") or "")
    if scheme == "sqlite" and name in ("", ":memory:"):
        # Each process would get a database of its own and lose it on exit.
        raise ImproperlyConfigured(
            "DATABASE_URL names no SQLite file (an in-memory database is not shared by the "
            "web and worker processes); use sqlite:////absolute/path/panel.sqlite3"
        )
    if scheme in POSTGRES_SCHEMES and not name:
        raise ImproperlyConfigured(f"DATABASE_URL names no PostgreSQL database; use {EXAMPLES}")
    return config
