"""Sending orders upstream against a real simulator over HTTP: accepted, refused (and the
fallback route), ambiguous answers that must never be re-sent, connections refused,
stale claims, drip-feed runs and the per-provider circuit breaker."""

from datetime import timedelta

import httpx
import pytest
from django.db import connection
from django.utils import timezone

from smmpanel.accounts.models import User
from smmpanel.fulfilment import forwarding
from smmpanel.fulfilment.forwarding import (
    due_submissions,
    forward_submission,
    release_stale_claims,
    resend,
)
from smmpanel.fulfilment.sweep import sweep_once
from smmpanel.orders.models import OrderStatus
from smmpanel.providers.client import ProviderUnavailable
from smmpanel.providers.connection import BREAKER_THRESHOLD, client_for
from smmpanel.providers.models import Provider, Submission, SubmissionState
from tests.factories import make_order, make_service, make_user
from tests.providers.conftest import (
    SLOW_ANSWER,
    closed_port_url,
    control,
    faults_triggered,
    make_due,
    only_submission,
    requests_for,
    route,
    stats,
    upstream_orders,
    wait_port,
)

UNKNOWN_PROVIDER_SERVICE = "999999"


def total_requests(handle) -> int:
    return sum(stats(handle)["requests"].values())


# -- accepted and refused -----------------------------------------------------------------


def test_accepted_add_makes_the_submission_active_with_the_provider_order_id(
    user, likes, provider, sim
):
    order = make_order(user, likes)
    sub = only_submission(order)

    assert forward_submission(sub.pk) == "accepted"

    sub.refresh_from_db()
    [upstream] = upstream_orders(sim, order.link)
    assert sub.state == SubmissionState.ACTIVE
    assert sub.provider == provider
    assert sub.provider_order_id == str(upstream["order"])
    assert sub.sent_at is not None and sub.next_sync_at is not None
    assert (upstream["service"], upstream["quantity"]) == (1, 100)


def test_accepted_add_moves_the_order_to_in_progress(user, likes):
    order = make_order(user, likes)

    forward_submission(only_submission(order).pk)

    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROGRESS
    assert order.events.last().to_status == OrderStatus.IN_PROGRESS


def test_sweep_forwards_a_due_submission_once(user, likes, sim):
    order = make_order(user, likes)

    assert sweep_once()["forwarded"] == 1
    assert sweep_once()["forwarded"] == 0

    assert len(upstream_orders(sim, order.link)) == 1
    assert requests_for(sim, "add") == 1


def test_refused_add_fails_the_order_and_keeps_the_providers_message(user, provider, sim):
    service = make_service()
    route(service, provider, UNKNOWN_PROVIDER_SERVICE)
    order = make_order(user, service)
    sub = only_submission(order)

    assert forward_submission(sub.pk) == "refused"

    sub.refresh_from_db()
    order.refresh_from_db()
    assert sub.state == SubmissionState.REFUSED
    assert "Incorrect service ID" in sub.error
    assert order.status == OrderStatus.FAIL
    assert "Incorrect service ID" in order.events.last().note
    assert upstream_orders(sim, order.link) == []


def test_refused_add_is_sent_to_the_fallback_route_on_another_provider(
    user, provider, provider_b, sim, sim_b
):
    service = make_service()
    route(service, provider, UNKNOWN_PROVIDER_SERVICE, priority=0)
    route(service, provider_b, priority=1)
    order = make_order(user, service)
    sub = only_submission(order)

    assert forward_submission(sub.pk) == "fallback"
    assert forward_submission(sub.pk) == "accepted"

    sub.refresh_from_db()
    order.refresh_from_db()
    assert sub.provider == provider_b
    assert order.status == OrderStatus.IN_PROGRESS
    assert upstream_orders(sim, order.link) == []
    assert len(upstream_orders(sim_b, order.link)) == 1


def test_service_without_a_route_waits_without_failing_the_order(user, sim):
    order = make_order(user, make_service())
    sub = only_submission(order)

    assert forward_submission(sub.pk) == "no-route"

    sub.refresh_from_db()
    order.refresh_from_db()
    assert sub.state == SubmissionState.QUEUED
    assert sub.next_attempt_at > timezone.now()
    assert order.status == OrderStatus.PENDING


# -- ambiguous outcomes: never sent twice ---------------------------------------------------

# fault mode → how many orders the simulator created for the request
AMBIGUOUS = {
    "accept_then_timeout": 1,
    "timeout": 0,
    "error500": 0,
    "html": 0,
    "garbage": 0,
    "empty": 0,
}


@pytest.mark.parametrize("mode", AMBIGUOUS)
def test_ambiguous_add_marks_the_submission_unknown_and_fails_the_order(
    mode, user, likes, sim, fast_provider_timeouts
):
    order = make_order(user, likes)
    sub = only_submission(order)
    control(sim, fault=mode, actions=["add"], count=1, delay=2)

    assert forward_submission(sub.pk) == "unknown"

    sub.refresh_from_db()
    order.refresh_from_db()
    assert sub.state == SubmissionState.UNKNOWN
    assert sub.error.startswith("submission unknown")
    assert order.status == OrderStatus.FAIL
    assert len(upstream_orders(sim, order.link)) == AMBIGUOUS[mode]


@pytest.mark.parametrize("mode", AMBIGUOUS)
def test_ambiguous_add_is_never_sent_again(mode, user, likes, sim, fast_provider_timeouts):
    order = make_order(user, likes)
    sub = only_submission(order)
    control(sim, fault=mode, actions=["add"], count=1, delay=2)
    forward_submission(sub.pk)

    make_due(pk=sub.pk)
    sweep_once()
    sweep_once()
    assert forward_submission(sub.pk) == "not-due"

    assert requests_for(sim, "add") == 1
    assert len(upstream_orders(sim, order.link)) == AMBIGUOUS[mode]
    assert Submission.objects.get(pk=sub.pk).state == SubmissionState.UNKNOWN


def test_accept_then_timeout_leaves_exactly_one_upstream_order(
    user, likes, sim, fast_provider_timeouts
):
    order = make_order(user, likes)
    sub = only_submission(order)
    control(sim, fault="accept_then_timeout", actions=["add"], count=1, delay=2)

    forward_submission(sub.pk)
    for _ in range(3):
        sweep_once()

    [upstream] = upstream_orders(sim, order.link)
    assert upstream["quantity"] == 100
    assert stats(sim)["orders_created"] == 1


# -- slow but in time: an answer like any other -----------------------------------------------


def test_slow_add_answered_within_the_timeout_is_accepted(
    user, likes, sim, patient_provider_timeouts
):
    order = make_order(user, likes)
    sub = only_submission(order)
    control(sim, fault="slow", actions=["add"], count=1, delay=SLOW_ANSWER)

    assert forward_submission(sub.pk) == "accepted"

    sub.refresh_from_db()
    order.refresh_from_db()
    [upstream] = upstream_orders(sim, order.link)
    assert faults_triggered(sim) == 1
    assert sub.state == SubmissionState.ACTIVE
    assert sub.provider_order_id == str(upstream["order"])
    assert order.status == OrderStatus.IN_PROGRESS


def test_slow_add_answered_within_the_timeout_is_sent_once(
    user, likes, sim, patient_provider_timeouts
):
    order = make_order(user, likes)
    sub = only_submission(order)
    control(sim, fault="slow", actions=["add"], count=1, delay=SLOW_ANSWER)
    forward_submission(sub.pk)

    make_due(pk=sub.pk)
    sweep_once()
    sweep_once()

    assert faults_triggered(sim) == 1
    assert requests_for(sim, "add") == 1
    assert stats(sim)["orders_created"] == 1
    assert len(upstream_orders(sim, order.link)) == 1


# -- nothing sent: retried later --------------------------------------------------------------


def test_refused_connection_requeues_the_submission_later_without_failing_the_order(
    user, likes, provider
):
    Provider.objects.filter(pk=provider.pk).update(api_url=closed_port_url())
    order = make_order(user, likes)
    sub = only_submission(order)
    before = timezone.now()

    assert forward_submission(sub.pk) == "retry"

    sub.refresh_from_db()
    order.refresh_from_db()
    assert sub.state == SubmissionState.QUEUED
    assert sub.next_attempt_at > before + timedelta(seconds=1)
    assert "unavailable" in sub.error
    assert order.status == OrderStatus.PENDING
    assert sub.pk not in due_submissions()


def test_submission_refused_a_connection_is_sent_exactly_once_when_the_provider_is_back(
    user, likes, sim
):
    order = make_order(user, likes)
    sub = only_submission(order)
    control(sim, fault="refuse", delay=2.5)
    wait_port(sim, listening=False)

    assert forward_submission(sub.pk) == "retry"
    wait_port(sim, listening=True)
    assert forward_submission(sub.pk) == "not-due"  # backing off
    make_due(pk=sub.pk)
    assert sweep_once()["forwarded"] == 1
    sweep_once()

    assert len(upstream_orders(sim, order.link)) == 1
    assert requests_for(sim, "add") == 1
    assert Submission.objects.get(pk=sub.pk).state == SubmissionState.ACTIVE


# -- claims -----------------------------------------------------------------------------------


def test_stale_sending_claim_becomes_unknown_and_fails_the_order(user, likes, settings):
    order = make_order(user, likes)
    sub = only_submission(order)
    claimed_at = timezone.now() - timedelta(seconds=settings.STALE_CLAIM_SECONDS + 5)
    Submission.objects.filter(pk=sub.pk).update(
        state=SubmissionState.SENDING, claimed_at=claimed_at
    )

    assert release_stale_claims() == 1

    sub.refresh_from_db()
    order.refresh_from_db()
    assert sub.state == SubmissionState.UNKNOWN
    assert order.status == OrderStatus.FAIL


def test_stale_sending_claim_is_never_sent_again(user, likes, sim, settings):
    order = make_order(user, likes)
    sub = only_submission(order)
    claimed_at = timezone.now() - timedelta(seconds=settings.STALE_CLAIM_SECONDS + 5)
    Submission.objects.filter(pk=sub.pk).update(
        state=SubmissionState.SENDING, claimed_at=claimed_at
    )

    sweep_once()
    make_due(pk=sub.pk)
    sweep_once()
    assert forward_submission(sub.pk) == "not-due"

    assert requests_for(sim, "add") == 0
    assert Submission.objects.get(pk=sub.pk).state == SubmissionState.UNKNOWN


def test_recent_sending_claim_is_left_to_its_worker(user, likes, sim):
    order = make_order(user, likes)
    sub = only_submission(order)
    Submission.objects.filter(pk=sub.pk).update(
        state=SubmissionState.SENDING, claimed_at=timezone.now() - timedelta(seconds=5)
    )

    assert release_stale_claims() == 0
    assert forward_submission(sub.pk) == "not-due"

    assert Submission.objects.get(pk=sub.pk).state == SubmissionState.SENDING
    assert requests_for(sim, "add") == 0


# -- staff resend ---------------------------------------------------------------------------


def test_staff_resend_of_a_refused_order_sends_it_to_the_chosen_route(
    user, provider, provider_b, sim_b
):
    service = make_service()
    route(service, provider, UNKNOWN_PROVIDER_SERVICE)
    order = make_order(user, service)
    sub = only_submission(order)
    forward_submission(sub.pk)
    order.refresh_from_db()
    staff = make_user(role=User.Role.STAFF)
    good_route = route(service, provider_b, priority=1)

    resend(order, actor=staff, route=good_route)

    assert forward_submission(sub.pk) == "accepted"
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_PROGRESS
    assert len(upstream_orders(sim_b, order.link)) == 1


# -- drip-feed --------------------------------------------------------------------------------


@pytest.fixture
def dripfeed_likes(db, provider):
    service = make_service(dripfeed=True)
    route(service, provider)
    return service


def test_dripfeed_order_gets_one_submission_per_run_spaced_by_interval(user, dripfeed_likes):
    order = make_order(user, dripfeed_likes, runs=3, interval=1)

    subs = list(Submission.objects.filter(order=order).order_by("run"))

    assert [(s.run, s.quantity) for s in subs] == [(1, 100), (2, 100), (3, 100)]
    assert subs[1].next_attempt_at - subs[0].next_attempt_at == timedelta(minutes=1)
    assert due_submissions() == [subs[0].pk]


def test_dripfeed_runs_become_separate_upstream_orders(user, dripfeed_likes, sim):
    order = make_order(user, dripfeed_likes, runs=3, interval=1)
    make_due(order=order)

    assert sweep_once()["forwarded"] == 3

    upstream = upstream_orders(sim, order.link)
    assert [(u["quantity"], u["runs"]) for u in upstream] == [(100, 1)] * 3
    ids = set(Submission.objects.filter(order=order).values_list("provider_order_id", flat=True))
    assert ids == {str(u["order"]) for u in upstream}


# -- circuit breaker --------------------------------------------------------------------------


def fail_transport(provider: Provider, times: int) -> None:
    """``times`` calls that cannot connect, one attempt each."""
    for _ in range(times):
        with pytest.raises(ProviderUnavailable):
            client_for(provider, retries=0).balance()


@pytest.fixture
def tripped(provider, sim):
    """``provider`` after BREAKER_THRESHOLD failed connections, pointed at ``sim`` again."""
    working_url = provider.api_url
    Provider.objects.filter(pk=provider.pk).update(api_url=closed_port_url())
    provider.refresh_from_db()
    fail_transport(provider, BREAKER_THRESHOLD)
    Provider.objects.filter(pk=provider.pk).update(api_url=working_url)
    provider.refresh_from_db()
    return provider


def test_consecutive_transport_failures_open_the_providers_circuit(tripped):
    assert tripped.breaker_failures == BREAKER_THRESHOLD
    assert tripped.breaker_open_until > timezone.now()


def test_fewer_transport_failures_leave_the_circuit_closed(provider):
    Provider.objects.filter(pk=provider.pk).update(api_url=closed_port_url())
    provider.refresh_from_db()

    fail_transport(provider, BREAKER_THRESHOLD - 1)

    provider.refresh_from_db()
    assert provider.breaker_open_until is None


def test_open_circuit_fails_fast_without_a_request(tripped, sim):
    with pytest.raises(ProviderUnavailable, match="circuit breaker open"):
        client_for(tripped).balance()

    assert total_requests(sim) == 0


def test_open_circuit_requeues_forwarding_without_sending(tripped, user, likes, sim):
    order = make_order(user, likes)
    sub = only_submission(order)

    assert forward_submission(sub.pk) == "retry"

    sub.refresh_from_db()
    assert sub.state == SubmissionState.QUEUED
    assert "circuit breaker open" in sub.error
    assert total_requests(sim) == 0


def test_open_circuit_of_one_provider_leaves_another_working(tripped, provider_b, sim_b):
    amount, currency = client_for(provider_b).balance()

    provider_b.refresh_from_db()
    assert (amount, currency) == (1000, "USD")
    assert provider_b.breaker_open_until is None
    assert requests_for(sim_b, "balance") == 1


def test_an_upstream_id_given_again_for_another_order_fails_the_later_one_for_staff(
    user, likes, monkeypatch
):
    same_id = httpx.MockTransport(lambda request: httpx.Response(200, json={"order": 777}))
    monkeypatch.setattr(
        forwarding, "client_for", lambda provider: client_for(provider, transport=same_id)
    )
    first, second = make_order(user, likes), make_order(user, likes)

    assert forward_submission(only_submission(first).pk) == "accepted"
    assert forward_submission(only_submission(second).pk) == "unknown"

    second.refresh_from_db()
    sub = only_submission(second)
    assert second.status == OrderStatus.FAIL
    assert sub.state == SubmissionState.UNKNOWN and sub.provider_order_id == ""
    assert f"already given for order {first.pk}" in sub.error


def test_the_reused_id_check_reads_the_upstream_id_index(provider):
    if connection.vendor != "sqlite":
        pytest.skip(
            "checks SQLite's EXPLAIN QUERY PLAN text; PostgreSQL's cost-based planner may "
            "rightly scan a test-sized table"
        )
    query = forwarding.upstream_id_holders(provider.pk, "777", 1).values_list("order_id")[:1]
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "submission_upstream_id" in plan
