"""Huey's SQLite queue, opened on first use instead of when Django starts.

Huey's own ``SqliteHuey`` opens its file and creates its tables as soon as djhuey
loads, so every process, even one that never queues anything (``smmpanel help``, the
simulator), would need the data directory before its first line ran. This one
creates the tables on its first connection: the directory is needed only by the
processes that queue or run tasks, which the commands that make it are
(``smmpanel.data_dir``).
"""

from huey import SqliteHuey
from huey.storage import SqliteStorage


class OnFirstUseSqliteStorage(SqliteStorage):
    """``SqliteStorage`` whose tables are made by its first connection."""

    def __init__(self, *args, **kwargs):
        kwargs["create_tables"] = False
        self._tables_made = False
        super().__init__(*args, **kwargs)

    def _create_connection(self):
        conn = super()._create_connection()
        if not self._tables_made:
            for statement in self.ddl:  # each "if not exists": safe in every process
                conn.execute(statement)
            self._tables_made = True
        return conn


class EmbeddedHuey(SqliteHuey):
    """The embedded shape's queue (settings' HUEY without REDIS_URL)."""

    storage_class = OnFirstUseSqliteStorage
