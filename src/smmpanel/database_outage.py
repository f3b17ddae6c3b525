"""What the panel treats as the database being away (a restart, a failover, a network
cut) rather than as a fault of its own: the request or task that met it says so in one
log line and gives up, and the next one, once the database is back, reconnects."""

from django.db import InterfaceError, OperationalError

#: Errors of a lost or refused connection. Django raises ``OperationalError`` for a
#: failed connect or a server gone mid-query, ``InterfaceError`` for a connection
#: already closed under it.
OUTAGE_ERRORS = (OperationalError, InterfaceError)
