"""Status sync against a real simulator over HTTP: 100 ids per call, upstream statuses
mirrored and settled with exactly one refund, unreadable or missing answers postponed,
slow ones applied once, nonsense counts clamped, drip-feed runs aggregated into their
parent order."""

import threading
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

import pytest
from django.db import connections
from django.utils import timezone

from smmpanel.billing.selectors import balance_of, ledger_mismatches
from smmpanel.fulfilment import status_sync
from smmpanel.fulfilment.forwarding import add_params, forward_submission
from smmpanel.fulfilment.settlement import settle_if_finished
from smmpanel.fulfilment.status_sync import (
    BATCH,
    FAST_INTERVAL,
    apply_remote_status,
    sync_provider,
)
from smmpanel.fulfilment.sweep import sweep_once
from smmpanel.money import share_of, to_micros
from smmpanel.orders.models import Order, OrderStatus
from smmpanel.providers.client import RemoteStatus
from smmpanel.providers.connection import client_for
from smmpanel.providers.models import CostBasis, Submission, SubmissionState
from tests.factories import make_order, make_service
from tests.providers.conftest import (
    HELD_BACK,
    LONG_ENOUGH,
    SLOW_ANSWER,
    START_DELAY,
    control,
    faults_triggered,
    forwarded,
    make_due,
    make_sync_due,
    only_submission,
    refunds_of,
    requests_for,
    route,
    set_fates,
    short_provider_timeouts,
    sync,
    upstream_orders,
)


def send_quickly(orders: list[Order], provider) -> None:
    """Forward many orders over the provider's shared client and record them as
    ``forward_submission`` would."""
    now = timezone.now()
    client = client_for(provider)
    for sub in Submission.objects.filter(order__in=orders).select_related(
        "order__service", "route"
    ):
        route_ = sub.order.service.routes.get()
        Submission.objects.filter(pk=sub.pk).update(
            state=SubmissionState.ACTIVE,
            route=route_,
            provider=provider,
            provider_order_id=client.add(add_params(sub, route_)),
            sent_at=now,
            next_sync_at=now,
        )
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(status=OrderStatus.IN_PROGRESS)


def test_status_sync_asks_for_at_most_100_ids_per_call(user, likes, provider, sim):
    count = BATCH + 1
    send_quickly([make_order(user, likes) for _ in range(count)], provider)
    sizes = []
    statuses = sim.state.statuses
    sim.state.statuses = lambda ids: sizes.append(len(ids)) or statuses(ids)

    assert sync(provider) == count

    assert sizes == [100, 1]
    assert requests_for(sim, "status") == 2


# -- statuses mirrored and settled -----------------------------------------------------------


def test_pending_upstream_keeps_the_order_in_progress(user, likes, provider):
    order = forwarded(user, likes)

    sync(provider)

    order.refresh_from_db()
    sub = only_submission(order)
    assert order.status == OrderStatus.IN_PROGRESS
    assert (sub.state, sub.remote_status, sub.remains) == (SubmissionState.ACTIVE, "Pending", 100)


def test_in_progress_upstream_mirrors_start_count_and_remains_on_the_order(
    user, likes, provider, sim, sim_clock
):
    order = forwarded(user, likes)
    sim_clock.advance(START_DELAY + 0.5)  # about half delivered

    sync(provider)

    order.refresh_from_db()
    [upstream] = upstream_orders(sim, order.link)
    assert order.status == OrderStatus.IN_PROGRESS
    assert 0 < order.remains == upstream["remains"] < 100
    assert order.start_count == upstream["start_count"] > 0


def test_completed_upstream_completes_the_order_without_refund(user, likes, provider, sim_clock):
    order = forwarded(user, likes)
    sim_clock.advance(LONG_ENOUGH)

    sync(provider)

    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert order.remains == 0
    assert refunds_of(order) == []
    assert only_submission(order).state == SubmissionState.DONE


def test_provider_charge_and_start_count_are_stored(user, likes, provider, sim_clock):
    order = forwarded(user, likes)
    sim_clock.advance(LONG_ENOUGH)

    sync(provider)

    sub = only_submission(order)
    assert sub.provider_charge_micros == 60_000  # 100 × 0.60 / 1000
    assert sub.start_count is not None and sub.start_count > 0


def test_partial_upstream_refunds_charge_times_remains_over_quantity(
    user, likes, provider, sim, sim_clock
):
    set_fates(sim, partial=1)
    order = forwarded(user, likes)
    sim_clock.advance(LONG_ENOUGH)

    sync(provider)

    order.refresh_from_db()
    [upstream] = upstream_orders(sim, order.link)
    assert upstream["status"] == "Partial"
    assert order.status == OrderStatus.PARTIAL
    assert order.remains == upstream["remains"] > 0
    assert refunds_of(order) == [share_of(order.charge_micros, order.remains, order.quantity)]
    assert ledger_mismatches() == []


def test_canceled_upstream_refunds_the_whole_charge(user, likes, provider, sim, sim_clock):
    set_fates(sim, canceled=1)
    order = forwarded(user, likes)
    paid = balance_of(user)
    sim_clock.advance(LONG_ENOUGH)

    sync(provider)

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELED
    assert refunds_of(order) == [order.charge_micros]
    assert balance_of(user) == paid + order.charge_micros


def test_replaying_the_final_status_never_refunds_twice(user, likes, provider, sim, sim_clock):
    set_fates(sim, partial=1)
    order = forwarded(user, likes)
    sim_clock.advance(LONG_ENOUGH)
    stale = only_submission(order)  # read while still active
    final = client_for(provider).status(stale.provider_order_id)
    assert final.status == "Partial"

    sync(provider)
    apply_remote_status(stale, final)
    apply_remote_status(stale, final)
    settle_if_finished(order.pk)
    sync(provider)
    sweep_once()

    assert len(refunds_of(order)) == 1
    assert ledger_mismatches() == []
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PARTIAL


def test_final_submission_is_not_polled_again(user, likes, provider, sim, sim_clock):
    forwarded(user, likes)
    sim_clock.advance(LONG_ENOUGH)
    sync(provider)

    assert sync(provider) == 0
    assert requests_for(sim, "status") == 1


# -- polling schedule ------------------------------------------------------------------------


def test_moving_status_is_polled_again_soon(user, likes, provider):
    order = forwarded(user, likes)

    sync(provider)

    sub = only_submission(order)
    assert sub.sync_interval == FAST_INTERVAL
    assert sub.next_sync_at > timezone.now()


def test_unmoved_status_backs_off_the_next_poll(user, likes, provider):
    order = forwarded(user, likes)
    sync(provider)

    sync(provider)
    sync(provider)

    assert only_submission(order).sync_interval == FAST_INTERVAL * 4


def test_submission_not_due_is_not_polled(user, likes, provider, sim):
    forwarded(user, likes)  # first poll is a few seconds after sending

    assert sync_provider(provider) == 0
    assert requests_for(sim, "status") == 0


# -- unreadable answers -------------------------------------------------------------------


# The poll meets the fault (a status poll is not retried within a pass: the next pass is).
@pytest.mark.parametrize("mode", ["garbage", "html", "empty", "error500", "timeout"])
def test_unreadable_or_missing_status_answer_changes_nothing_and_polls_later(
    mode, user, likes, provider, sim, sim_clock, settings
):
    order = forwarded(user, likes)
    sim_clock.advance(LONG_ENOUGH)  # upstream it is Completed by now
    control(sim, fault=mode, actions=["status"], delay=HELD_BACK)
    before = only_submission(order)
    started = timezone.now()

    with short_provider_timeouts(settings):
        assert sync(provider) == 0

    sub = only_submission(order)
    order.refresh_from_db()
    assert (sub.state, sub.remote_status, sub.remains) == (SubmissionState.ACTIVE, "", None)
    assert order.status == OrderStatus.IN_PROGRESS
    assert sub.sync_interval == before.sync_interval * 2
    assert sub.next_sync_at >= started + timedelta(seconds=sub.sync_interval)
    assert sub.error
    assert refunds_of(order) == []


def test_a_provider_that_hangs_is_asked_once_per_pass(
    user, likes, provider, sim, sim_clock, settings, monkeypatch
):
    monkeypatch.setattr(status_sync, "BATCH", 1)  # three orders, three batches
    placed = [forwarded(user, likes) for _ in range(3)]
    sim_clock.advance(LONG_ENOUGH)
    control(sim, fault="timeout", actions=["status"], delay=HELD_BACK)

    with short_provider_timeouts(settings):
        assert sync(provider) == 0

    assert requests_for(sim, "status") == 1
    assert faults_triggered(sim) == 1
    assert all(only_submission(o).state == SubmissionState.ACTIVE for o in placed)


def test_a_provider_that_hangs_does_not_hold_up_another_providers_sync(
    user, likes, provider, provider_b, sim, sim_b, sim_clock, settings
):
    elsewhere = make_service()
    route(elsewhere, provider_b)
    stuck, moving = forwarded(user, likes), forwarded(user, elsewhere)
    sim_clock.advance(LONG_ENOUGH)
    control(sim, fault="timeout", actions=["status"], delay=HELD_BACK)

    with short_provider_timeouts(settings):
        make_sync_due()
        sweep_once()

    stuck.refresh_from_db()
    moving.refresh_from_db()
    assert stuck.status == OrderStatus.IN_PROGRESS
    assert moving.status == OrderStatus.COMPLETED
    assert requests_for(sim, "status") == 1


def test_status_poll_that_timed_out_is_applied_when_polled_again(
    user, likes, provider, sim, sim_clock, settings
):
    set_fates(sim, partial=1)
    order = forwarded(user, likes)
    sim_clock.advance(LONG_ENOUGH)
    control(sim, fault="timeout", actions=["status"], delay=HELD_BACK)
    with short_provider_timeouts(settings):
        sync(provider)
    control(sim, fault="none")

    assert sync(provider) == 1

    order.refresh_from_db()
    [upstream] = upstream_orders(sim, order.link)
    assert only_submission(order).state == SubmissionState.DONE
    assert order.status == OrderStatus.PARTIAL
    assert refunds_of(order) == [share_of(order.charge_micros, upstream["remains"], 100)]
    assert ledger_mismatches() == []


def test_slow_status_answer_within_the_timeout_settles_the_order_once(
    user, likes, provider, sim, sim_clock, patient_provider_timeouts
):
    set_fates(sim, partial=1)
    order = forwarded(user, likes)
    sim_clock.advance(LONG_ENOUGH)
    control(sim, fault="slow", actions=["status"], count=1, delay=SLOW_ANSWER)

    assert sync(provider) == 1
    sync(provider)
    sweep_once()

    order.refresh_from_db()
    assert faults_triggered(sim) == 1
    assert requests_for(sim, "status") == 1  # neither retried by the client nor re-polled
    assert order.status == OrderStatus.PARTIAL
    assert refunds_of(order) == [share_of(order.charge_micros, order.remains, 100)]
    assert ledger_mismatches() == []


def test_overlapping_polls_of_a_slow_final_status_refund_once(
    transactional_db, user, likes, provider, sim, sim_clock, patient_provider_timeouts
):
    """Two sweeps (two workers) poll the same submission while the provider takes its
    time: both get the final status, only one settles it."""
    set_fates(sim, partial=1)
    order = forwarded(user, likes)
    sim_clock.advance(LONG_ENOUGH)
    make_sync_due(provider=provider)
    control(sim, fault="slow", actions=["status"], count=2, delay=SLOW_ANSWER)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def poll() -> None:
        try:
            start.wait(timeout=30)
            sync_provider(provider)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's connection

    pollers = [threading.Thread(target=poll, daemon=True) for _ in range(2)]
    for thread in pollers:
        thread.start()
    for thread in pollers:
        thread.join(60)

    order.refresh_from_db()
    assert errors == []
    assert requests_for(sim, "status") == 2  # both polls were in flight at once
    assert order.status == OrderStatus.PARTIAL
    assert refunds_of(order) == [share_of(order.charge_micros, order.remains, 100)]
    assert ledger_mismatches() == []


def test_status_refused_for_one_id_postpones_only_that_submission(user, likes, provider, sim_clock):
    lost = forwarded(user, likes)
    kept = forwarded(user, likes)
    Submission.objects.filter(order=lost).update(provider_order_id="999")
    sim_clock.advance(LONG_ENOUGH)

    assert sync(provider) == 1

    lost_sub, kept_sub = only_submission(lost), only_submission(kept)
    assert lost_sub.state == SubmissionState.ACTIVE
    assert lost_sub.error == "status: Incorrect order ID"
    assert lost_sub.next_sync_at > timezone.now()
    assert kept_sub.state == SubmissionState.DONE


# -- nonsense counts --------------------------------------------------------------------------


def remote(status: str, remains: int | None) -> RemoteStatus:
    return RemoteStatus(status, Decimal("0.06"), 1234, remains, "USD")


def test_negative_remains_are_clamped_to_zero(user, likes):
    order = forwarded(user, likes)

    apply_remote_status(only_submission(order), remote("In progress", -7))

    order.refresh_from_db()
    assert only_submission(order).remains == 0
    assert order.remains == 0


def test_remains_above_the_quantity_are_clamped_to_the_quantity(user, likes):
    order = forwarded(user, likes)

    apply_remote_status(only_submission(order), remote("In progress", 10**9))

    order.refresh_from_db()
    assert only_submission(order).remains == 100
    assert order.remains == 100


def test_partial_with_remains_above_the_quantity_refunds_no_more_than_the_charge(user, likes):
    order = forwarded(user, likes)

    apply_remote_status(only_submission(order), remote("Partial", 10**9))

    order.refresh_from_db()
    assert refunds_of(order) == [order.charge_micros]
    assert ledger_mismatches() == []


def test_partial_with_negative_remains_refunds_nothing(user, likes):
    order = forwarded(user, likes)

    apply_remote_status(only_submission(order), remote("Partial", -3))

    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert refunds_of(order) == []


def test_partial_without_remains_keeps_the_last_count_seen(user, likes):
    order = forwarded(user, likes)
    apply_remote_status(only_submission(order), remote("In progress", 40))

    apply_remote_status(only_submission(order), remote("Partial", None))

    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIAL
    assert order.remains == 40
    assert refunds_of(order) == [share_of(order.charge_micros, 40, 100)]


# -- provider cost ---------------------------------------------------------------------------

FULL = 60_000  # 100 × 0.60 / 1000: what the simulator charges for a forwarded order


def charged(status: str, charge: str | None, remains: int) -> RemoteStatus:
    return RemoteStatus(status, None if charge is None else Decimal(charge), 1234, remains, "USD")


def cost_of(order) -> tuple[int | None, str]:
    sub = only_submission(order)
    return sub.provider_charge_micros, sub.cost_basis


def test_completed_run_costs_the_charge_the_provider_reported(user, likes, provider, sim_clock):
    order = forwarded(user, likes)
    sim_clock.advance(LONG_ENOUGH)

    sync(provider)

    assert cost_of(order) == (FULL, CostBasis.REPORTED)


def test_partial_run_costs_the_lower_charge_the_provider_reports_after_its_refund(
    user, likes, provider, sim, sim_clock
):
    set_fates(sim, partial=1)
    order = forwarded(user, likes)
    sync(provider)  # Pending upstream: the full charge is seen
    sim_clock.advance(LONG_ENOUGH)

    sync(provider)

    [upstream] = upstream_orders(sim, order.link)
    refund = (Decimal("0.06") * upstream["remains"] / 100).quantize(Decimal("0.00001"), ROUND_DOWN)
    assert upstream["status"] == "Partial"
    assert cost_of(order) == (FULL - to_micros(refund), CostBasis.REPORTED)


def test_canceled_run_the_provider_refunded_costs_nothing(user, likes, provider, sim, sim_clock):
    set_fates(sim, canceled=1)
    order = forwarded(user, likes)
    sync(provider)  # Pending upstream: the full charge is seen
    sim_clock.advance(LONG_ENOUGH)

    sync(provider)

    assert cost_of(order) == (0, CostBasis.REPORTED)


def test_partial_run_still_reported_at_its_full_charge_costs_pro_rata(user, likes):
    order = forwarded(user, likes)
    apply_remote_status(only_submission(order), charged("In progress", "0.06", 100))

    apply_remote_status(only_submission(order), charged("Partial", "0.06", 40))

    assert cost_of(order) == (share_of(FULL, 60, 100), CostBasis.PRO_RATA)


def test_final_answer_without_a_charge_costs_the_charge_seen_pro_rata(user, likes):
    order = forwarded(user, likes)
    apply_remote_status(only_submission(order), charged("In progress", "0.06", 100))

    apply_remote_status(only_submission(order), charged("Partial", None, 75))

    assert cost_of(order) == (share_of(FULL, 25, 100), CostBasis.PRO_RATA)


def test_canceled_run_still_reported_at_its_full_charge_with_nothing_delivered_costs_nothing(
    user, likes
):
    order = forwarded(user, likes)
    apply_remote_status(only_submission(order), charged("Pending", "0.06", 100))

    apply_remote_status(only_submission(order), charged("Canceled", "0.06", 100))

    assert cost_of(order) == (0, CostBasis.PRO_RATA)


def test_partial_run_first_seen_ended_costs_the_charge_it_reports(user, likes):
    order = forwarded(user, likes)

    apply_remote_status(only_submission(order), charged("Partial", "0.03", 50))

    assert cost_of(order) == (30_000, CostBasis.REPORTED)


def test_a_run_with_no_charge_ever_reported_has_no_cost_basis(user, likes):
    order = forwarded(user, likes)

    apply_remote_status(only_submission(order), charged("Partial", None, 50))

    assert cost_of(order) == (None, "")


# -- drip-feed --------------------------------------------------------------------------------


@pytest.fixture
def dripfeed_likes(db, provider):
    service = make_service(dripfeed=True)
    route(service, provider)
    return service


def forward_run(order: Order, run: int) -> None:
    sub = Submission.objects.get(order=order, run=run)
    make_due(pk=sub.pk)
    assert forward_submission(sub.pk) == "accepted"


def test_dripfeed_parent_waits_for_every_run_before_settling(
    user, dripfeed_likes, provider, sim_clock
):
    order = make_order(user, dripfeed_likes, runs=3, interval=1)
    forward_run(order, 1)
    forward_run(order, 2)
    sim_clock.advance(LONG_ENOUGH)

    sync(provider)

    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROGRESS
    assert order.remains == 100  # run 3 not sent yet
    assert refunds_of(order) == []


def test_dripfeed_parent_settles_with_the_remains_of_all_runs(
    user, dripfeed_likes, provider, sim, sim_clock
):
    order = make_order(user, dripfeed_likes, runs=3, interval=1)
    forward_run(order, 1)
    set_fates(sim, partial=1)
    forward_run(order, 2)
    set_fates(sim, partial=0)
    forward_run(order, 3)
    sim_clock.advance(LONG_ENOUGH)

    sync(provider)

    order.refresh_from_db()
    upstream = upstream_orders(sim, order.link)
    short = sum(u["remains"] for u in upstream)
    assert [u["status"] for u in upstream] == ["Completed", "Partial", "Completed"]
    assert order.status == OrderStatus.PARTIAL
    assert order.remains == short
    assert refunds_of(order) == [share_of(order.charge_micros, short, 300)]
    assert ledger_mismatches() == []


def test_dripfeed_last_run_refused_settles_the_parent_with_that_run_undelivered(
    user, dripfeed_likes, provider, sim, sim_clock
):
    order = make_order(user, dripfeed_likes, runs=2, interval=1)
    forward_run(order, 1)
    sim_clock.advance(LONG_ENOUGH)
    sync(provider)
    control(sim, "/config", balance="0")  # the provider now refuses: not enough funds
    last = Submission.objects.get(order=order, run=2)
    make_due(pk=last.pk)

    assert forward_submission(last.pk) == "refused"

    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIAL
    assert order.remains == 100
    assert refunds_of(order) == [share_of(order.charge_micros, 100, 200)]
    assert ledger_mismatches() == []
