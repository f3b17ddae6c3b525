"""What counts as the database being away (``database_outage.is_outage``): a lost or
refused connection, or a server going down or not yet up; not one statement's error."""

import sqlite3

import psycopg
import pytest
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError

from smmpanel.database_outage import is_outage


def wrapped(django_error: type[DatabaseError], cause: BaseException) -> DatabaseError:
    """As Django raises a driver's error: its own class, the driver's as the cause."""
    error = django_error(str(cause))
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    "cause",
    [
        psycopg.OperationalError("connection refused"),
        psycopg.OperationalError("server closed the connection unexpectedly"),
        psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
        psycopg.errors.CrashShutdown("terminating connection because of crash"),
        psycopg.errors.CannotConnectNow("the database system is starting up"),
        psycopg.errors.ConnectionFailure("connection failure"),
    ],
    ids=["refused", "closed", "admin shutdown", "crash shutdown", "starting up", "class 08"],
)
def test_a_lost_or_refused_connection_is_an_outage(cause):
    assert is_outage(wrapped(OperationalError, cause))


def test_a_connection_already_closed_is_an_outage():
    assert is_outage(InterfaceError("connection already closed"))


@pytest.mark.parametrize(
    "cause",
    [
        psycopg.errors.DeadlockDetected("deadlock detected"),
        psycopg.errors.SerializationFailure("could not serialize access"),
        psycopg.errors.LockNotAvailable("could not obtain lock"),
        psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
        sqlite3.OperationalError("database is locked"),
    ],
    ids=["deadlock", "serialization", "lock timeout", "statement timeout", "sqlite locked"],
)
def test_one_statements_error_is_not_an_outage(cause):
    assert not is_outage(wrapped(OperationalError, cause))


def test_an_integrity_error_is_not_an_outage():
    assert not is_outage(wrapped(IntegrityError, psycopg.errors.UniqueViolation("dup")))


def test_an_error_that_is_not_the_databases_is_not_an_outage():
    assert not is_outage(RuntimeError("a bug"))
