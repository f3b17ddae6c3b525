"""The embedded queue opens its SQLite file on first use, not when Django starts."""

from smmpanel.embedded_queue import EmbeddedHuey


def test_the_queue_file_is_made_by_its_first_use(tmp_path):
    path = tmp_path / "huey.sqlite3"
    queue = EmbeddedHuey("test", filename=str(path))
    assert not path.exists()

    queue.storage.enqueue(b"task")

    assert path.exists() and queue.storage.queue_size() == 1
    assert queue.storage.dequeue() == b"task"
