"""Customers' cancels and refills carried to a real simulator over HTTP and back."""

from datetime import timedelta

import pytest
from django.utils import timezone

from smmpanel.billing.selectors import ledger_mismatches
from smmpanel.fulfilment import customer_requests
from smmpanel.fulfilment.customer_requests import (
    REFILL_ATTEMPTS,
    forward_cancels,
    forward_refill,
    release_stale_refills,
    sync_refills,
)
from smmpanel.fulfilment.forwarding import forward_submission
from smmpanel.fulfilment.status_sync import sync_provider
from smmpanel.fulfilment.sweep import sweep_once
from smmpanel.money import share_of
from smmpanel.orders import services as orders
from smmpanel.orders.models import Order, OrderStatus, RefillStatus
from smmpanel.providers.client import ProviderRefused, ProviderUnavailable
from smmpanel.providers.models import Provider, RefillSubmission, Submission, SubmissionState
from smmpanel.staff.selectors.moderation import moderation_queue
from tests.factories import make_order, make_service
from tests.providers.conftest import (
    HELD_BACK,
    LONG_ENOUGH,
    START_DELAY,
    closed_port_url,
    control,
    forwarded,
    make_due,
    refunds_of,
    requests_for,
    route,
    short_provider_timeouts,
    stats,
    sync,
    upstream_orders,
)

REFILL_SECONDS = 20
SIM_NO_CANCEL = "3"  # Instagram Followers: refill yes, cancel no, min 100
SIM_NO_REFILL = "2"  # Instagram Likes, fast: refill no, cancel yes, min 20


def completed(user, service, provider, clock) -> Order:
    """An order forwarded, delivered upstream and synced to Completed."""
    order = forwarded(user, service)
    clock.advance(LONG_ENOUGH)
    sync(provider)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    return order


# -- cancel -----------------------------------------------------------------------------


def test_cancel_of_a_pending_unsent_order_refunds_in_full_at_once(user, likes):
    order = make_order(user, likes)

    orders.request_cancel(user, order.pk)

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELED
    assert refunds_of(order) == [order.charge_micros]
    assert Submission.objects.get(order=order).state == SubmissionState.DONE
    assert ledger_mismatches() == []


def test_canceled_unsent_order_is_never_sent_upstream(user, likes, sim):
    order = make_order(user, likes)
    orders.request_cancel(user, order.pk)
    sub = Submission.objects.get(order=order)

    make_due(pk=sub.pk)
    sweep_once()
    assert forward_submission(sub.pk) == "not-due"

    assert requests_for(sim, "add") == 0
    assert requests_for(sim, "cancel") == 0


def test_cancel_of_an_in_progress_order_is_recorded_for_the_provider(user, likes):
    order = forwarded(user, likes)

    orders.request_cancel(user, order.pk)

    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROGRESS
    assert order.cancel_requested_at is not None
    assert refunds_of(order) == []


def test_requested_cancel_is_forwarded_to_the_provider_once(user, likes, sim):
    order = forwarded(user, likes)
    orders.request_cancel(user, order.pk)

    assert forward_cancels() == 1
    assert forward_cancels() == 0

    [upstream] = upstream_orders(sim, order.link)
    assert upstream["cancel_requested"] is True
    assert requests_for(sim, "cancel") == 1
    assert Submission.objects.get(order=order).cancel_sent_at is not None


def test_upstream_cancel_before_delivery_refunds_the_order_once(user, likes, provider, sim):
    order = forwarded(user, likes)
    orders.request_cancel(user, order.pk)
    forward_cancels()

    sync_provider(provider)  # forward_cancels made it due at once
    sync(provider)
    sweep_once()

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELED
    assert refunds_of(order) == [order.charge_micros]
    assert ledger_mismatches() == []


def test_upstream_cancel_after_some_delivery_refunds_the_remains(
    user, likes, provider, sim, sim_clock
):
    order = forwarded(user, likes)
    sim_clock.advance(START_DELAY + 0.5)  # about half delivered
    orders.request_cancel(user, order.pk)
    forward_cancels()

    sync_provider(provider)

    order.refresh_from_db()
    [upstream] = upstream_orders(sim, order.link)
    assert upstream["status"] == "Canceled"
    assert order.status == OrderStatus.PARTIAL
    assert order.remains == upstream["remains"]
    assert refunds_of(order) == [share_of(order.charge_micros, order.remains, 100)]


def test_upstream_cancel_after_some_delivery_keeps_the_known_start_count(
    user, likes, provider, sim, sim_clock
):
    order = forwarded(user, likes)
    sim_clock.advance(START_DELAY + 0.5)  # about half delivered
    sync(provider)
    order.refresh_from_db()
    known = order.start_count
    orders.request_cancel(user, order.pk)
    forward_cancels()

    sync_provider(provider)  # the simulator's Canceled answer carries start_count 0

    order.refresh_from_db()
    assert upstream_orders(sim, order.link)[0]["start_count"] == 0
    assert order.status == OrderStatus.PARTIAL
    assert order.start_count == known > 0
    assert Submission.objects.get(order=order).start_count == known


def test_cancel_refused_upstream_is_recorded_and_the_order_goes_on(user, provider, sim):
    service = make_service(min_quantity=100)
    route(service, provider, SIM_NO_CANCEL)
    order = forwarded(user, service)
    orders.request_cancel(user, order.pk)

    assert forward_cancels() == 1

    sub = Submission.objects.get(order=order)
    order.refresh_from_db()
    assert sub.error == "cancel refused: Cancel is disabled for this service"
    assert sub.state == SubmissionState.ACTIVE
    assert order.status == OrderStatus.IN_PROGRESS
    assert forward_cancels() == 0


def test_a_cancel_is_not_forwarded_once_the_order_has_ended(user, likes, sim):
    order = forwarded(user, likes)
    orders.request_cancel(user, order.pk)
    order.refresh_from_db()
    orders.refund_remains(order, 40, note="ended by staff before the sweep")

    assert forward_cancels() == 0
    assert requests_for(sim, "cancel") == 0


# -- refill ------------------------------------------------------------------------------


def test_refill_of_a_completed_order_is_queued_for_the_provider(user, likes, provider, sim_clock):
    order = completed(user, likes, provider, sim_clock)

    refill = orders.request_refill(user, order.pk)

    entry = RefillSubmission.objects.get(refill=refill)
    assert (entry.state, entry.provider) == (SubmissionState.QUEUED, provider)
    assert refill.status == RefillStatus.PENDING


def test_forwarded_refill_gets_the_providers_refill_id(user, likes, provider, sim, sim_clock):
    order = completed(user, likes, provider, sim_clock)
    refill = orders.request_refill(user, order.pk)

    assert forward_refill(refill.pk) == "accepted"

    entry = RefillSubmission.objects.get(refill=refill)
    assert entry.state == SubmissionState.ACTIVE
    assert entry.provider_refill_id == "5000001"  # the simulator's first refill id
    assert stats(sim)["refills_created"] == 1


def test_synced_refill_follows_the_provider_to_completed(user, likes, provider, sim_clock):
    order = completed(user, likes, provider, sim_clock)
    refill = orders.request_refill(user, order.pk)
    forward_refill(refill.pk)
    seen = []

    for seconds in (0, START_DELAY + 1, REFILL_SECONDS):
        sim_clock.advance(seconds)
        sync_refills()
        refill.refresh_from_db()
        seen.append(refill.status)

    assert seen == [RefillStatus.PENDING, RefillStatus.IN_PROGRESS, RefillStatus.COMPLETED]
    assert RefillSubmission.objects.get(refill=refill).state == SubmissionState.DONE


def test_finished_refill_is_not_polled_again(user, likes, provider, sim, sim_clock):
    order = completed(user, likes, provider, sim_clock)
    refill = orders.request_refill(user, order.pk)
    forward_refill(refill.pk)
    sim_clock.advance(LONG_ENOUGH)
    sync_refills()

    assert sync_refills() == 0
    assert requests_for(sim, "refill_status") == 1


def test_refill_of_a_never_forwarded_order_stays_pending_without_submission(user, likes, sim):
    order = make_order(user, likes)
    orders.complete_order(order)  # delivered by hand: nothing was sent upstream

    refill = orders.request_refill(user, order.pk)
    sweep_once()

    refill.refresh_from_db()
    assert refill.status == RefillStatus.PENDING
    assert not RefillSubmission.objects.filter(refill=refill).exists()
    assert requests_for(sim, "refill") == 0


def test_refill_refused_upstream_is_rejected(user, provider, sim_clock):
    service = make_service(min_quantity=20)
    route(service, provider, SIM_NO_REFILL)
    order = completed(user, service, provider, sim_clock)
    refill = orders.request_refill(user, order.pk)

    assert forward_refill(refill.pk) == "refused"

    refill.refresh_from_db()
    entry = RefillSubmission.objects.get(refill=refill)
    assert refill.status == RefillStatus.REJECTED
    assert (entry.state, entry.error) == (
        SubmissionState.REFUSED,
        "Refill is disabled for this service",
    )


def test_refill_to_an_unreachable_provider_is_retried_later(user, likes, provider, sim_clock):
    order = completed(user, likes, provider, sim_clock)
    refill = orders.request_refill(user, order.pk)
    Provider.objects.filter(pk=provider.pk).update(api_url=closed_port_url())
    before = timezone.now()

    assert forward_refill(refill.pk) == "retry"

    entry = RefillSubmission.objects.get(refill=refill)
    refill.refresh_from_db()
    assert entry.state == SubmissionState.QUEUED
    assert entry.next_attempt_at >= before + timedelta(seconds=5)
    assert refill.status == RefillStatus.PENDING


def _unreachable_refill(user, likes, provider, clock):
    order = completed(user, likes, provider, clock)
    refill = orders.request_refill(user, order.pk)
    Provider.objects.filter(pk=provider.pk).update(api_url=closed_port_url())
    return refill


def _try_again_now(refill) -> str:
    RefillSubmission.objects.filter(refill=refill).update(next_attempt_at=timezone.now())
    return forward_refill(refill.pk)


def test_refill_to_an_unreachable_provider_is_rejected_after_its_tries(
    user, likes, provider, sim_clock
):
    refill = _unreachable_refill(user, likes, provider, sim_clock)

    outcomes = [_try_again_now(refill) for _ in range(REFILL_ATTEMPTS)]

    refill.refresh_from_db()
    entry = RefillSubmission.objects.get(refill=refill)
    assert outcomes == ["retry"] * (REFILL_ATTEMPTS - 1) + ["refused"]
    assert refill.status == RefillStatus.REJECTED
    assert entry.state == SubmissionState.REFUSED
    assert entry.error.startswith(f"{provider.name} could not be reached")


def test_refill_rejected_as_unreachable_may_be_asked_again(user, likes, provider, sim_clock):
    refill = _unreachable_refill(user, likes, provider, sim_clock)
    for _ in range(REFILL_ATTEMPTS):
        _try_again_now(refill)

    again = orders.request_refill(user, refill.order_id)

    assert again.pk != refill.pk
    assert again.status == RefillStatus.PENDING


def _left_sending(refill, claimed_at) -> None:
    """As a worker leaves a refill when it stops between its claim and the answer."""
    RefillSubmission.objects.filter(refill=refill).update(
        state=SubmissionState.SENDING, claimed_at=claimed_at
    )


def test_refill_left_sending_by_a_stopped_worker_becomes_unknown_for_staff(
    user, likes, provider, sim, sim_clock, settings
):
    order = completed(user, likes, provider, sim_clock)
    refill = orders.request_refill(user, order.pk)
    stale = timezone.now() - timedelta(seconds=settings.STALE_CLAIM_SECONDS + 1)
    _left_sending(refill, stale)

    sweep_once()

    refill.refresh_from_db()
    entry = RefillSubmission.objects.get(refill=refill)
    assert entry.state == SubmissionState.UNKNOWN
    assert refill.status == RefillStatus.PENDING
    assert refill in moderation_queue()["stuck_refills"]
    assert requests_for(sim, "refill") == 0  # never re-sent on a guess


def test_refill_being_sent_is_left_alone_until_its_claim_is_stale(
    user, likes, provider, sim_clock, settings
):
    order = completed(user, likes, provider, sim_clock)
    refill = orders.request_refill(user, order.pk)
    recent = timezone.now() - timedelta(seconds=settings.STALE_CLAIM_SECONDS - 30)
    _left_sending(refill, recent)

    assert release_stale_refills() == 0
    assert RefillSubmission.objects.get(refill=refill).state == SubmissionState.SENDING


def test_refill_left_sending_without_a_claim_time_is_released(user, likes, provider, sim_clock):
    order = completed(user, likes, provider, sim_clock)
    refill = orders.request_refill(user, order.pk)
    _left_sending(refill, None)  # claimed by a worker from before claim times

    assert release_stale_refills() == 1
    assert RefillSubmission.objects.get(refill=refill).state == SubmissionState.UNKNOWN


@pytest.mark.parametrize(
    "answer",
    [ProviderUnavailable("refill: request not sent"), ProviderRefused("Refill is disabled")],
    ids=["unreachable", "refused"],
)
def test_a_late_answer_leaves_a_refill_the_sweep_released_as_unknown(
    answer, user, likes, provider, sim_clock, monkeypatch
):
    order = completed(user, likes, provider, sim_clock)
    refill = orders.request_refill(user, order.pk)

    class ReleasedWhileWaiting:
        """The provider answers only after the sweep took the send for a stopped one."""

        def refill(self, provider_order_id):
            _left_sending(refill, timezone.now() - timedelta(days=1))
            release_stale_refills()
            raise answer

    monkeypatch.setattr(customer_requests, "client_for", lambda *a, **k: ReleasedWhileWaiting())

    forward_refill(refill.pk)

    refill.refresh_from_db()
    assert RefillSubmission.objects.get(refill=refill).state == SubmissionState.UNKNOWN
    assert refill.status == RefillStatus.PENDING


def test_a_refill_status_pass_asks_a_failing_provider_once(
    user, likes, provider, sim, sim_clock, settings
):
    refills = []
    for _ in range(2):
        order = completed(user, likes, provider, sim_clock)
        refill = orders.request_refill(user, order.pk)
        forward_refill(refill.pk)
        refills.append(refill)
    control(sim, fault="timeout", actions=["refill_status"], delay=HELD_BACK)

    with short_provider_timeouts(settings):
        assert sync_refills() == 0

    assert requests_for(sim, "refill_status") == 1


# -- drip-feed cancel -------------------------------------------------------------------------


@pytest.fixture
def dripfeed_likes(db, provider):
    service = make_service(dripfeed=True)
    route(service, provider)
    return service


def started_dripfeed(user, service) -> Order:
    """A 3-run drip-feed order whose first run is upstream; runs 2 and 3 wait."""
    order = make_order(user, service, runs=3, interval=1)
    assert forward_submission(Submission.objects.get(order=order, run=1).pk) == "accepted"
    order.refresh_from_db()
    return order


def test_cancel_of_a_dripfeed_order_sends_none_of_its_waiting_runs(user, dripfeed_likes, sim):
    order = started_dripfeed(user, dripfeed_likes)
    orders.request_cancel(user, order.pk)

    forward_cancels()
    make_due(order=order)
    sweep_once()

    assert len(upstream_orders(sim, order.link)) == 1
    assert requests_for(sim, "add") == 1


def test_canceled_dripfeed_order_settles_with_its_waiting_runs_refunded(
    user, dripfeed_likes, provider, sim
):
    order = started_dripfeed(user, dripfeed_likes)
    orders.request_cancel(user, order.pk)

    forward_cancels()
    sync_provider(provider)

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELED
    assert refunds_of(order) == [order.charge_micros]
    assert ledger_mismatches() == []
