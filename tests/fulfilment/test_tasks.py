"""The worker's tasks when the database is away: one warning line each, no traceback,
and nothing lost (the runs stay in the outbox for the sweep). The outage itself, with
real processes, is ``tests/faults/test_database_restart.py``; here it is raised in
place, where it cannot be produced otherwise."""

import logging

import psycopg
import pytest
from django.db import OperationalError

from smmpanel.fulfilment import tasks
from smmpanel.providers.models import Submission, SubmissionState
from tests.factories import make_order, make_service, make_user


def lost_connection() -> OperationalError:
    """What Django raises when the server went away mid-conversation."""
    error = OperationalError("server closed the connection unexpectedly")
    error.__cause__ = psycopg.OperationalError("server closed the connection unexpectedly")
    return error


LOST = lost_connection()


def lose_the_database(*args, **kwargs):
    raise LOST


def deadlock(*args, **kwargs):
    error = OperationalError("deadlock detected")
    error.__cause__ = psycopg.errors.DeadlockDetected("deadlock detected")
    raise error


def task_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == tasks.__name__]


@pytest.mark.django_db
def test_forwarding_task_meeting_the_database_away_logs_one_warning(monkeypatch, caplog):
    order = make_order(make_user("10"), make_service())
    monkeypatch.setattr(tasks.forwarding, "forward_submission", lose_the_database)

    tasks.forward_order.call_local(order.pk)

    [record] = task_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.exc_info is None
    assert "database unavailable" in record.getMessage()


@pytest.mark.django_db
def test_forwarding_task_meeting_the_database_away_leaves_the_run_for_the_sweep(monkeypatch):
    order = make_order(make_user("10"), make_service())
    monkeypatch.setattr(tasks.forwarding, "forward_submission", lose_the_database)

    tasks.forward_order.call_local(order.pk)

    assert Submission.objects.get(order=order).state == SubmissionState.QUEUED


@pytest.mark.django_db
def test_refill_task_meeting_the_database_away_logs_one_warning(monkeypatch, caplog):
    monkeypatch.setattr(tasks.customer_requests, "forward_refill", lose_the_database)

    tasks.forward_refill.call_local(1)

    [record] = task_records(caplog)
    assert (record.levelno, record.exc_info) == (logging.WARNING, None)


@pytest.mark.django_db
def test_sweep_pass_meeting_the_database_away_logs_one_warning(monkeypatch, caplog):
    monkeypatch.setattr(tasks, "sweep_once", lose_the_database)

    tasks.sweep_pass()

    [record] = task_records(caplog)
    assert (record.levelno, record.exc_info) == (logging.WARNING, None)
    assert str(LOST) in record.getMessage()


@pytest.mark.django_db
def test_sweep_pass_failing_for_another_reason_logs_its_traceback(monkeypatch, caplog):
    def bug():
        raise ZeroDivisionError("a bug of ours")

    monkeypatch.setattr(tasks, "sweep_once", bug)

    tasks.sweep_pass()

    [record] = task_records(caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None


@pytest.mark.django_db
def test_forwarding_task_meeting_a_deadlock_raises_it_for_its_traceback(monkeypatch):
    order = make_order(make_user("10"), make_service())
    monkeypatch.setattr(tasks.forwarding, "forward_submission", deadlock)

    with pytest.raises(OperationalError, match="deadlock"):
        tasks.forward_order.call_local(order.pk)


@pytest.mark.django_db
def test_sweep_pass_meeting_a_deadlock_logs_its_traceback(monkeypatch, caplog):
    monkeypatch.setattr(tasks, "sweep_once", deadlock)

    tasks.sweep_pass()

    [record] = task_records(caplog)
    assert (record.levelno, record.exc_info is not None) == (logging.ERROR, True)
