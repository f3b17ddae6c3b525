"""A process's copy of database rows (``smmpanel.process_cache``): served while fresh,
read again when old or forgotten, and never replaced by a read that a ``forget``
overtook."""

import threading

import pytest
from django.db import transaction

from smmpanel.process_cache import ProcessSnapshot

WAIT = 10  # seconds a test thread may wait for the other: bounded, never reached


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Source:
    """The rows as stored: ``value``, read by ``read`` (counted)."""

    def __init__(self, value):
        self.value, self.reads = value, 0

    def read(self):
        self.reads += 1
        return self.value


def test_a_fresh_copy_is_served_without_reading_again():
    source = Source("rows")
    snapshot = ProcessSnapshot(source.read, 5, Clock())

    assert [snapshot(), snapshot(), snapshot()] == ["rows"] * 3
    assert source.reads == 1


def test_a_copy_older_than_its_seconds_is_read_again():
    source, clock = Source("old"), Clock()
    snapshot = ProcessSnapshot(source.read, 5, clock)
    snapshot()
    source.value = "new"

    clock.now += 4.9
    assert snapshot() == "old"
    clock.now += 0.2
    assert snapshot() == "new"


def test_a_forgotten_copy_is_read_again_at_once():
    source = Source("old")
    snapshot = ProcessSnapshot(source.read, 5, Clock())
    snapshot()
    source.value = "new"

    snapshot.forget()

    assert snapshot() == "new"


def test_a_read_overtaken_by_forget_is_returned_but_not_kept():
    source = Source("old")
    snapshot = ProcessSnapshot(lambda: (source.read(), snapshot.forget())[0], 5, Clock())

    assert snapshot() == "old"  # its caller gets what it read
    source.value = "new"
    assert snapshot() == "new"  # the next caller reads again
    assert source.reads == 2


def test_a_slow_read_from_before_a_change_does_not_replace_the_newer_copy():
    reading, finish = threading.Event(), threading.Event()
    stored = {"value": "before"}

    def read():
        value = stored["value"]
        if threading.current_thread() is not threading.main_thread():
            reading.set()
            finish.wait(WAIT)  # still reading while the change is made and read
        return value

    snapshot = ProcessSnapshot(read, 60, Clock())
    slow = threading.Thread(target=snapshot, daemon=True)
    slow.start()
    assert reading.wait(WAIT)

    stored["value"] = "after"
    snapshot.forget()
    assert snapshot() == "after"
    finish.set()
    slow.join(WAIT)

    assert not slow.is_alive()
    assert snapshot() == "after"


@pytest.mark.django_db(transaction=True)
def test_a_read_inside_a_changing_transaction_that_rolls_back_is_not_kept():
    source = Source("before")
    snapshot = ProcessSnapshot(source.read, 60, Clock())
    with pytest.raises(RuntimeError), transaction.atomic():
        source.value = "changed"
        snapshot.forget_on_change()
        assert snapshot() == "changed"  # what the transaction sees
        raise RuntimeError("rolled back")
    source.value = "before"  # the rollback took the change back

    assert snapshot() == "before"
    assert snapshot() == "before" and source.reads == 2  # kept again from here


@pytest.mark.django_db(transaction=True)
def test_a_change_that_commits_drops_the_copy_again_at_commit():
    source = Source("before")
    snapshot = ProcessSnapshot(source.read, 60, Clock())
    snapshot()
    with transaction.atomic():
        snapshot.forget_on_change()
        source.value = "after"
    assert snapshot() == "after"
    snapshot()
    assert source.reads == 2


# --- with a version: an old copy is kept while the rows' version has not moved ------------


class Versioned(Source):
    """Rows with a version that moves with every change (``None``: unknown)."""

    def __init__(self, value):
        super().__init__(value)
        self.version, self.version_reads = 1, 0

    def change(self, value):
        self.value, self.version = value, self.version + 1

    def read_version(self):
        self.version_reads += 1
        return self.version


def versioned_snapshot(source: Versioned, clock: Clock) -> ProcessSnapshot:
    return ProcessSnapshot(source.read, 5, clock, version=source.read_version)


def test_an_old_copy_whose_version_did_not_move_is_kept_without_reading_the_rows():
    source, clock = Versioned("rows"), Clock()
    snapshot = versioned_snapshot(source, clock)
    snapshot()

    clock.now += 6
    assert snapshot() == "rows"
    clock.now += 6
    assert snapshot() == "rows"

    assert source.reads == 1
    assert source.version_reads == 3  # once with the read, once per expiry since


def test_a_fresh_copy_reads_not_even_the_version():
    source = Versioned("rows")
    snapshot = versioned_snapshot(source, Clock())
    snapshot()

    snapshot()

    assert (source.reads, source.version_reads) == (1, 1)


def test_an_old_copy_whose_version_moved_is_read_again():
    source, clock = Versioned("old"), Clock()
    snapshot = versioned_snapshot(source, clock)
    snapshot()
    source.change("new")

    clock.now += 4.9
    assert snapshot() == "old"  # fresh: not even the version is read
    clock.now += 0.2
    assert snapshot() == "new"
    assert source.reads == 2


def test_an_unknown_version_reads_the_rows_again_as_without_one():
    source, clock = Versioned("old"), Clock()
    snapshot = versioned_snapshot(source, clock)
    source.version = None
    snapshot()
    source.value = "new"

    clock.now += 6
    assert snapshot() == "new"
    assert source.reads == 2


def test_a_change_committed_while_the_rows_are_read_is_caught_at_the_next_expiry():
    source, clock = Versioned("old"), Clock()

    def read_while_changed():
        value = source.read()
        source.change("new")  # lands after the version was read, before the copy is kept
        return value

    snapshot = ProcessSnapshot(read_while_changed, 5, clock, version=source.read_version)
    assert snapshot() == "old"

    clock.now += 6
    assert snapshot() == "new"


def test_a_forgotten_copy_is_read_again_even_if_its_version_did_not_move():
    source = Versioned("old")
    snapshot = versioned_snapshot(source, Clock())
    snapshot()
    source.value = "new"  # a change whose version bump is not visible yet

    snapshot.forget()

    assert snapshot() == "new"
