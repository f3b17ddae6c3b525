"""Django's PostgreSQL backend, with a connection health check that costs no round trip.

``CONN_HEALTH_CHECKS`` makes Django test a persistent connection before a request first
uses it, so a connection that died with a database restart is replaced rather than
failing that request. Django tests it with ``SELECT 1``: one more round trip on every
request, one of the three of an API ``balance``. An idle connection is never
sent anything by the server except its last words (a termination notice, then the end of
the stream), so this backend asks the operating system instead: a socket with something
to read while idle has been hung up on. Over TLS, where the bytes waiting may be the
TLS layer's own, it keeps Django's ``SELECT 1``.
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self) -> None:
        connection = self.connection
        if (
            connection is None
            or self.pool
            or not self.health_check_enabled
            or self.health_check_done
        ):
            return super().close_if_health_check_failed()
        if not (connection.closed or connection.broken) and connection.pgconn.ssl_in_use:
            return super().close_if_health_check_failed()
        if connection.closed or connection.broken or _hung_up(connection.pgconn.socket):
            self.close()
        self.health_check_done = True


def _hung_up(socket: int) -> bool:
    """Whether an idle connection's socket has anything to read (the server closed it)."""
    poller = select.poll()
    poller.register(socket, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))
