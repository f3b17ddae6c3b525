"""When the database is away (a restart, a failover, a network cut), as opposed to an
error of one statement (a deadlock, a lock or statement timeout, SQLite's "database is
locked"): the worker's pass or task that met it says so in one log line and gives up,
and the next one reconnects once the database is back. Any other database error keeps
its own handling and its traceback."""

from django.db import InterfaceError, OperationalError

# PostgreSQL's codes for a server going down or not yet up: admin_shutdown,
# crash_shutdown, cannot_connect_now. Class 08 is a connection exception.
_SERVER_GOING = {"57P01", "57P02", "57P03"}


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` says the connection to the database is lost or cannot be made."""
    if isinstance(error, InterfaceError):
        return True  # the connection was already closed under it
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    if not type(cause).__module__.startswith("psycopg"):
        return False  # SQLite cannot go away; its OperationalErrors are statements'
    sqlstate = getattr(cause, "sqlstate", None)
    # No code at all: the client lost the server (refused, closed, reset).
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in _SERVER_GOING
