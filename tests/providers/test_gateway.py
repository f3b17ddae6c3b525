"""The database circuit breaker: shared state on the provider row, and the latency it
measures between ``allow()`` and the outcome of each attempt."""

import pytest

from smmpanel.providers.connection import DatabaseBreaker
from smmpanel.providers.models import Provider
from smmpanel.providers.secrets import seal
from tests.providers.conftest import HandClock


@pytest.fixture
def row(db):
    return Provider.objects.create(
        name="Upstream",
        api_url="https://upstream.example/api/v2",
        api_key_sealed=seal("k-1234"),
        api_key_last4="1234",
    )


@pytest.fixture
def clock():
    return HandClock()


def call(breaker: DatabaseBreaker, clock: HandClock, seconds: float, *, ok: bool = True) -> None:
    assert breaker.allow()
    clock.advance(seconds)
    breaker.record_success() if ok else breaker.record_failure()


def test_a_call_keeps_its_latency_in_milliseconds(row, clock):
    call(DatabaseBreaker(row, clock=clock), clock, 0.25)
    row.refresh_from_db()
    assert (row.last_latency_ms, row.avg_latency_ms) == (250, 250)


def test_the_average_latency_weighs_each_new_call_one_fifth(row, clock):
    breaker = DatabaseBreaker(row, clock=clock)
    call(breaker, clock, 0.25)
    call(breaker, clock, 0.5)
    row.refresh_from_db()
    assert (row.last_latency_ms, row.avg_latency_ms) == (500, 300)  # (250 × 4 + 500) / 5


def test_a_failed_call_counts_its_latency_too(row, clock):
    call(DatabaseBreaker(row, clock=clock), clock, 2.0, ok=False)
    row.refresh_from_db()
    assert (row.last_latency_ms, row.failed_calls, row.calls) == (2000, 1, 1)


def test_an_outcome_without_an_allowed_attempt_leaves_latency_alone(row, clock):
    DatabaseBreaker(row, clock=clock).record_success()
    row.refresh_from_db()
    assert (row.calls, row.last_latency_ms) == (1, None)


def test_the_breaker_opens_after_five_consecutive_failures(row, clock):
    breaker = DatabaseBreaker(row, clock=clock)
    for _ in range(5):
        call(breaker, clock, 0.01, ok=False)
    assert not breaker.allow()
