"""DATABASE_URL is read strictly: PostgreSQL or an SQLite file, any other URL an error
that says why (no engine swapped in silently)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from smmpanel.database_url import database_from_url

DEFAULT = "/srv/panel/data/smmpanel.sqlite3"


def test_a_postgres_url_names_the_postgresql_engine_and_its_database():
    config = database_from_url("postgres://panel:secret@db.internal:5432/panel", DEFAULT)

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["HOST"], config["PORT"]) == ("panel", "db.internal", 5432)


def test_no_url_means_the_sqlite_file_in_the_data_directory():
    for unset in ("", "   "):
        config = database_from_url(unset, DEFAULT)
        assert config["ENGINE"] == "django.db.backends.sqlite3" and config["NAME"] == DEFAULT


def test_an_sqlite_url_names_its_file():
    config = database_from_url("sqlite:////var/lib/panel/x.sqlite3", DEFAULT)

    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "/var/lib/panel/x.sqlite3"


@pytest.mark.parametrize(
    "url, reason",
    [
        ("mysql://panel@127.0.0.1/panel", "runs on PostgreSQL or SQLite, not 'mysql'"),
        ("postgress://panel@127.0.0.1/panel", "not 'postgress'"),
        ("/var/lib/panel/x.sqlite3", "is not a database URL"),
        ("sqlite:///", "names no SQLite file"),
        ("sqlite://:memory:", "names no SQLite file"),
        ("postgres://panel@127.0.0.1", "names no PostgreSQL database"),
        ("postgres://panel@127.0.0.1:port/panel", "cannot be read"),
    ],
)
def test_a_wrong_url_is_an_error_saying_why(url, reason):
    with pytest.raises(ImproperlyConfigured) as error:
        database_from_url(url, DEFAULT)

    message = str(error.value)
    assert message.startswith("DATABASE_URL") and reason in message
    assert "sqlite:////" in message  # and it shows what a right one looks like
