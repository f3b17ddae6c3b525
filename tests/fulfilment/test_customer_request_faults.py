"""Provider faults on customers' cancels and refills, injected by a real simulator over
HTTP: whatever the fault, the order or refill ends in a correct state, the customer's
wallet equals its ledger, and nothing is refunded twice however often the sweep retries
the faulted step."""

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connections
from django.db.models import Sum
from django.utils import timezone

from smmpanel.billing.models import LedgerEntry
from smmpanel.billing.selectors import balance_of, ledger_mismatches
from smmpanel.fulfilment.customer_requests import forward_cancels, forward_refill
from smmpanel.fulfilment.forwarding import forward_submission
from smmpanel.fulfilment.status_sync import sync_provider
from smmpanel.fulfilment.sweep import sweep_once
from smmpanel.money import share_of
from smmpanel.orders import services as orders
from smmpanel.orders.models import Order, OrderStatus, RefillStatus
from smmpanel.providers.connection import BREAKER_THRESHOLD
from smmpanel.providers.models import RefillSubmission, SubmissionState
from smmpanel.staff.selectors.moderation import moderation_queue
from tests.factories import make_order
from tests.providers.conftest import (
    HELD_BACK,
    LONG_ENOUGH,
    SLOW_ANSWER,
    START_DELAY,
    control,
    faults_triggered,
    forwarded,
    make_sync_due,
    only_submission,
    refunds_of,
    requests_for,
    set_fates,
    short_provider_timeouts,
    stats,
    upstream_orders,
)

# fault mode → whether the simulator carried the request out before failing to answer
FAULTS = {
    "timeout": False,
    "error500": False,
    "html": False,
    "garbage": False,
    "empty": False,
    "accept_then_timeout": True,
}
# How many times in a row the faulted step meets the fault. Below the breaker's
# threshold, so the sweeps after it still reach the provider.
FAULTY_TRIES = 3
SWEEPS = 3
assert FAULTY_TRIES < BREAKER_THRESHOLD


def inject(sim, mode: str, action: str, count: int = 1) -> None:
    control(sim, fault=mode, actions=[action], count=count, delay=HELD_BACK)


def sweeps(provider, times: int = SWEEPS) -> None:
    """Sweep passes as the periodic task runs them, each with the statuses due."""
    for _ in range(times):
        make_sync_due(provider=provider)
        sweep_once()


def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.02)


def ledger_total(user) -> int:
    total = LedgerEntry.objects.filter(user=user).aggregate(total=Sum("amount_micros"))["total"]
    return total or 0


# -- cancel ------------------------------------------------------------------------------


def cancel_requested(user, service) -> Order:
    """An order accepted upstream, nothing delivered yet, its cancel asked for."""
    order = forwarded(user, service)
    orders.request_cancel(user, order.pk)
    return order


@pytest.mark.parametrize("mode", FAULTS)
def test_cancel_met_by_a_fault_leaves_the_order_running_and_unrefunded(
    mode, user, likes, sim, settings
):
    order = cancel_requested(user, likes)
    paid = balance_of(user)
    inject(sim, mode, "cancel")

    with short_provider_timeouts(settings):
        assert forward_cancels() == 0

    order.refresh_from_db()
    sub = only_submission(order)
    [upstream] = upstream_orders(sim, order.link)
    assert faults_triggered(sim) == 1
    assert upstream["cancel_requested"] is FAULTS[mode]
    assert order.status == OrderStatus.IN_PROGRESS
    assert (sub.state, sub.cancel_sent_at) == (SubmissionState.ACTIVE, None)
    assert refunds_of(order) == []
    assert balance_of(user) == paid == ledger_total(user)


@pytest.mark.parametrize("mode", FAULTS)
def test_cancel_met_by_a_fault_is_sent_again_and_carried_out_once_upstream(
    mode, user, likes, sim, settings
):
    order = cancel_requested(user, likes)
    inject(sim, mode, "cancel")
    with short_provider_timeouts(settings):
        forward_cancels()

    assert forward_cancels() == 1
    assert forward_cancels() == 0

    [upstream] = upstream_orders(sim, order.link)
    assert requests_for(sim, "cancel") == 2
    assert stats(sim)["cancels"] == 1
    assert upstream["status"] == "Canceled"
    assert only_submission(order).cancel_sent_at is not None


@pytest.mark.parametrize("mode", FAULTS)
def test_cancel_retried_through_a_lasting_fault_refunds_the_order_once(
    mode, user, likes, provider, sim, settings
):
    order = cancel_requested(user, likes)
    paid = balance_of(user)
    inject(sim, mode, "cancel", count=FAULTY_TRIES)

    with short_provider_timeouts(settings):
        sweeps(provider, FAULTY_TRIES)
    sweeps(provider)

    order.refresh_from_db()
    # A cancel carried out upstream settles the order on the same pass: no more tries.
    assert faults_triggered(sim) == (1 if FAULTS[mode] else FAULTY_TRIES)
    assert stats(sim)["cancels"] == 1
    assert order.status == OrderStatus.CANCELED
    assert refunds_of(order) == [order.charge_micros]
    assert balance_of(user) == paid + order.charge_micros == ledger_total(user)
    assert ledger_mismatches() == []


@pytest.mark.parametrize("mode", FAULTS)
def test_cancel_met_by_a_fault_after_some_delivery_refunds_the_remains_once(
    mode, user, likes, provider, sim, sim_clock, settings
):
    order = forwarded(user, likes)
    sim_clock.advance(START_DELAY + 0.5)  # about half delivered; the clock stops here
    orders.request_cancel(user, order.pk)
    paid = balance_of(user)
    inject(sim, mode, "cancel", count=FAULTY_TRIES)

    with short_provider_timeouts(settings):
        sweeps(provider, FAULTY_TRIES)
    sweeps(provider)

    order.refresh_from_db()
    [upstream] = upstream_orders(sim, order.link)
    refund = share_of(order.charge_micros, upstream["remains"], 100)
    assert upstream["status"] == "Canceled"
    assert 0 < upstream["remains"] < 100
    assert (order.status, order.remains) == (OrderStatus.PARTIAL, upstream["remains"])
    assert refunds_of(order) == [refund]
    assert balance_of(user) == paid + refund == ledger_total(user)
    assert ledger_mismatches() == []


def test_slow_cancel_answer_within_the_timeout_is_sent_once_and_refunds_once(
    user, likes, provider, sim, patient_provider_timeouts
):
    order = cancel_requested(user, likes)
    paid = balance_of(user)
    control(sim, fault="slow", actions=["cancel"], count=1, delay=SLOW_ANSWER)

    assert forward_cancels() == 1
    sweeps(provider)

    order.refresh_from_db()
    assert faults_triggered(sim) == 1
    assert requests_for(sim, "cancel") == 1
    assert order.status == OrderStatus.CANCELED
    assert refunds_of(order) == [order.charge_micros]
    assert balance_of(user) == paid + order.charge_micros == ledger_total(user)


def test_cancel_asked_while_a_slow_add_is_in_flight_is_forwarded_after_it_and_refunds_once(
    transactional_db, user, likes, provider, sim, patient_provider_timeouts
):
    order = make_order(user, likes)
    paid = balance_of(user)
    control(sim, fault="slow", actions=["add"], count=1, delay=SLOW_ANSWER)
    outcome: list[str] = []

    def send() -> None:
        try:
            outcome.append(forward_submission(only_submission(order).pk))
        finally:
            connections.close_all()  # this thread's connection

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    wait_until(lambda: requests_for(sim, "add") == 1)  # the add is being answered slowly
    orders.request_cancel(user, order.pk)
    sender.join(30)
    sweeps(provider)

    order.refresh_from_db()
    assert outcome == ["accepted"]
    assert requests_for(sim, "add") == 1
    assert stats(sim)["cancels"] == 1
    assert order.status == OrderStatus.CANCELED
    assert refunds_of(order) == [order.charge_micros]
    assert balance_of(user) == paid + order.charge_micros == ledger_total(user)


# -- refill ------------------------------------------------------------------------------


def partial_refill_requested(user, service, provider, sim, clock):
    """A refill asked for an order that ended Partial upstream (so it has one refund)."""
    set_fates(sim, partial=1)
    order = forwarded(user, service)
    clock.advance(LONG_ENOUGH)
    make_sync_due(provider=provider)
    sync_provider(provider)
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIAL
    assert len(refunds_of(order)) == 1
    return order, orders.request_refill(user, order.pk)


@pytest.mark.parametrize("mode", FAULTS)
def test_refill_met_by_a_fault_is_left_unknown_for_staff(
    mode, user, likes, provider, sim, sim_clock, settings
):
    _, refill = partial_refill_requested(user, likes, provider, sim, sim_clock)
    inject(sim, mode, "refill")

    with short_provider_timeouts(settings):
        assert forward_refill(refill.pk) == "unknown"

    refill.refresh_from_db()
    entry = RefillSubmission.objects.get(refill=refill)
    assert faults_triggered(sim) == 1
    assert stats(sim)["refills_created"] == int(FAULTS[mode])
    assert (entry.state, entry.provider_refill_id) == (SubmissionState.UNKNOWN, "")
    assert refill.status == RefillStatus.PENDING
    assert refill in moderation_queue()["stuck_refills"]


@pytest.mark.parametrize("mode", FAULTS)
def test_refill_met_by_a_fault_is_never_sent_again(
    mode, user, likes, provider, sim, sim_clock, settings
):
    _, refill = partial_refill_requested(user, likes, provider, sim, sim_clock)
    inject(sim, mode, "refill")
    with short_provider_timeouts(settings):
        forward_refill(refill.pk)

    RefillSubmission.objects.filter(refill=refill).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    sweeps(provider)
    assert forward_refill(refill.pk) == "not-due"

    assert requests_for(sim, "refill") == 1
    assert stats(sim)["refills_created"] == int(FAULTS[mode])
    assert RefillSubmission.objects.get(refill=refill).state == SubmissionState.UNKNOWN


@pytest.mark.parametrize("mode", FAULTS)
def test_refill_met_by_a_fault_moves_no_money(
    mode, user, likes, provider, sim, sim_clock, settings
):
    order, refill = partial_refill_requested(user, likes, provider, sim, sim_clock)
    before = balance_of(user)
    [refund] = refunds_of(order)
    inject(sim, mode, "refill", count=FAULTY_TRIES)

    with short_provider_timeouts(settings):
        forward_refill(refill.pk)
        sweeps(provider, FAULTY_TRIES)
    sweeps(provider)

    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIAL
    assert refunds_of(order) == [refund]
    assert balance_of(user) == before == ledger_total(user)
    assert ledger_mismatches() == []


def test_slow_refill_answer_within_the_timeout_is_accepted_once(
    user, likes, provider, sim, sim_clock, patient_provider_timeouts
):
    _, refill = partial_refill_requested(user, likes, provider, sim, sim_clock)
    control(sim, fault="slow", actions=["refill"], count=1, delay=SLOW_ANSWER)

    assert forward_refill(refill.pk) == "accepted"
    sweeps(provider)

    entry = RefillSubmission.objects.get(refill=refill)
    assert faults_triggered(sim) == 1
    assert requests_for(sim, "refill") == 1
    assert stats(sim)["refills_created"] == 1
    assert entry.provider_refill_id == "5000001"  # the simulator's first refill id
