"""The PostgreSQL backend's health check: a connection the server hung up on is replaced
before a request uses it, and a healthy one is kept without a query to the server."""

import select

import psycopg
import pytest
from django.db import InterfaceError, OperationalError, connection, connections

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason=f"the PostgreSQL backend's own check; this run uses {connection.vendor}",
    ),
    pytest.mark.django_db(transaction=True),
]


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _next_request() -> None:
    """What Django does between two requests on a persistent connection."""
    connection.close_if_unusable_or_obsolete()


def test_the_panel_runs_on_this_backend():
    assert type(connections["default"]).__module__ == "smmpanel.postgresql_backend.base"


def _server_hangs_up() -> int:
    """Terminate this connection's backend from another connection, as a database restart
    would, and wait (bounded) until its socket says so; the old backend's pid."""
    pid = _backend_pid()
    socket = connection.connection.pgconn.socket
    with psycopg.connect(connection.connection.info.dsn, autocommit=True) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
    assert select.select([socket], [], [], 10)[0], "the server did not close the socket"
    return pid


def test_a_connection_the_server_hung_up_on_is_replaced_before_use():
    pid = _server_hangs_up()
    _next_request()

    assert _backend_pid() != pid


def test_without_the_check_that_connection_would_fail_the_request():
    # The positive control: the same hang-up with no health check, and the query fails.
    _server_hangs_up()
    _next_request()
    connection.health_check_done = True  # as if the check had passed
    with pytest.raises((OperationalError, InterfaceError)):
        _backend_pid()
    connection.close()


def test_a_healthy_connection_is_kept_without_asking_the_server(monkeypatch):
    pid = _backend_pid()
    _next_request()

    def no_round_trip():
        raise AssertionError("the health check sent a query")

    monkeypatch.setattr(connections["default"], "is_usable", no_round_trip)
    connection.close_if_health_check_failed()
    monkeypatch.undo()
    assert _backend_pid() == pid


def test_a_live_connection_with_something_waiting_is_asked_and_kept():
    # Data waiting is not proof of a hang-up (a notification, here): SELECT 1 decides.
    pid = _backend_pid()
    with connection.cursor() as cursor:
        cursor.execute("LISTEN panel_health_check")
    try:
        with psycopg.connect(connection.connection.info.dsn, autocommit=True) as other:
            other.execute("NOTIFY panel_health_check")
        socket = connection.connection.pgconn.socket
        assert select.select([socket], [], [], 10)[0], "the notification did not arrive"
        _next_request()

        assert _backend_pid() == pid
    finally:
        with connection.cursor() as cursor:
            cursor.execute("UNLISTEN *")
