"""Django's PostgreSQL backend, with a connection health check that costs no round trip.

``CONN_HEALTH_CHECKS`` makes Django test a persistent connection before a request first
uses it, so a connection that died with a database restart is replaced rather than
failing that request. Django tests it with ``SELECT 1``: one more round trip on every
request, one of the three of an API ``balance``. The panel sends an idle connection
nothing to hear (it never LISTENs), so the server's last words (a termination notice,
then the end of the stream) are about all that can wait on its socket. This backend asks
the operating system first: a socket with nothing to read is kept without a round trip,
and only one with something waiting gets Django's ``SELECT 1`` to decide. Over TLS,
where the bytes waiting may be the TLS layer's own, it always uses Django's check.

What it buys (``bench/alternate.py --cost``, CPU of the web process and the PostgreSQL
backend per request, medians; indicative, on a shared 2-core machine): with Django's own
check instead, ``balance`` cost 0.79 ms against 0.61 ms (+30%) and ``services`` 0.88
against 0.61 (+44%) in 3 alternating rounds of 100 requests, and 1.01 against 0.73
(+38%) and 1.18 against 0.69 (+72%) in a second run; a run of 5 rounds of 200 requests
saw no difference beyond its spread. A ``SELECT 1`` round trip costs about 0.13-0.17 ms
of CPU, a fifth of these actions. It overrides one method of Django's backend
(``close_if_health_check_failed``); ``tests/test_postgresql_backend.py`` proves a
dropped connection is still replaced.
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
        if connection.closed or connection.broken:
            self.close()
        elif connection.pgconn.ssl_in_use or _data_waiting(connection.pgconn.socket):
            return super().close_if_health_check_failed()  # SELECT 1 decides
        self.health_check_done = True


def _data_waiting(socket: int) -> bool:
    """Whether an idle connection's socket has anything to read (or was closed)."""
    poller = select.poll()
    poller.register(socket, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))
