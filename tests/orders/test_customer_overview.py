"""The dashboard's reads: spending from the ledger, orders by status, running drip-feeds
and subscriptions."""

from datetime import timedelta

from django.utils import timezone

from smmpanel.billing.models import LedgerEntry
from smmpanel.orders import customer_overview
from smmpanel.orders.customer_overview import dripfeed_rows
from smmpanel.orders.services import cancel_and_refund, complete_order, refund_remains
from smmpanel.providers.models import Submission
from tests.factories import make_order, make_service, make_user


def test_spending_is_charges_less_refunds(db):
    user = make_user("100")
    service = make_service()  # 0.90 per 1000
    complete_order(make_order(user, service, quantity=1000))  # 0.90
    refund_remains(make_order(user, service, quantity=1000), 500)  # 0.90 - 0.45
    cancel_and_refund(make_order(user, service, quantity=1000))  # 0.90 - 0.90
    spending = customer_overview.spending_of(user)
    assert spending.all_time_micros == 1_350_000
    assert spending.this_month_micros == 1_350_000


def test_spending_this_month_leaves_out_earlier_months(db):
    user = make_user("100")
    service = make_service()
    old = make_order(user, service, quantity=1000)
    make_order(user, service, quantity=2000)
    last_month = customer_overview.month_start() - timedelta(days=3)
    LedgerEntry.objects.filter(order=old).update(created_at=last_month)
    spending = customer_overview.spending_of(user)
    assert (spending.this_month_micros, spending.all_time_micros) == (1_800_000, 2_700_000)


def test_deposits_are_not_spending(db):
    user = make_user("100")
    assert customer_overview.spending_of(user).all_time_micros == 0


def test_orders_by_status_counts_processing_as_in_progress_and_skips_empty_ones(db):
    user = make_user("100")
    service = make_service()
    complete_order(make_order(user, service))
    make_order(user, service)
    running = make_order(user, service)
    type(running).objects.filter(pk=running.pk).update(status="processing")
    counts = {s.status: s.count for s in customer_overview.orders_by_status(user)}
    assert counts == {"pending": 1, "in_progress": 1, "completed": 1}


def test_running_dripfeeds_are_the_unfinished_orders_with_runs(db):
    user = make_user("100")
    drip = make_service(dripfeed=True)
    running = make_order(user, drip, quantity=100, runs=3, interval=10)
    complete_order(make_order(user, drip, quantity=100, runs=2, interval=10))
    make_order(user, drip, quantity=100)
    assert customer_overview.running_dripfeeds(user) == [running]


def test_running_subscriptions_are_the_unfinished_subscription_orders(db):
    user = make_user("100")
    subs = make_service(type="subscriptions", link_format="instagram_profile")
    order = make_order(user, subs, username="some.user", min="100", max="200", posts="5")
    assert customer_overview.running_subscriptions(user) == [order]
    assert customer_overview.running_subscriptions(make_user()) == []


def test_month_start_is_in_the_active_time_zone(db):
    with timezone.override("Europe/Kyiv"):
        start = customer_overview.month_start()
        assert (start.day, start.hour, start.minute) == (1, 0, 0)
        assert start.utcoffset() in (timedelta(hours=2), timedelta(hours=3))


def test_a_drip_feed_row_counts_runs_sent_ended_and_remaining(db):
    user = make_user("100")
    order = make_order(user, make_service(dripfeed=True), quantity=100, runs=4, interval=60)
    runs = list(Submission.objects.filter(order=order).order_by("run"))
    Submission.objects.filter(pk=runs[0].pk).update(state="done")
    Submission.objects.filter(pk=runs[1].pk).update(state="active")
    rows, more = dripfeed_rows(user)
    assert more is None and len(rows) == 1
    row = rows[0]
    assert (row.runs_sent, row.runs_done, row.runs_remaining) == (2, 1, 2)
    assert row.next_at == runs[2].next_attempt_at
    assert row.can_cancel


def test_a_finished_drip_feed_has_no_next_run(db):
    user = make_user("100")
    order = make_order(user, make_service(dripfeed=True), quantity=100, runs=2, interval=60)
    complete_order(order)
    (row,), _ = dripfeed_rows(user)
    assert row.next_at is None and not row.can_cancel


def test_single_run_orders_are_not_drip_feeds(db):
    user = make_user("100")
    make_order(user, make_service(dripfeed=True), quantity=100)
    assert dripfeed_rows(user) == ([], None)
