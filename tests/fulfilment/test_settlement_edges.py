"""Edge cases of settlement found in review: each one used to lose or misplace money."""

from decimal import Decimal

import pytest
from django.utils import timezone

from smmpanel.billing.models import HeldCredit, LedgerEntry
from smmpanel.billing.selectors import ledger_mismatches
from smmpanel.fulfilment.status_sync import apply_remote_status
from smmpanel.orders.models import Order, OrderStatus
from smmpanel.orders.services import place_order
from smmpanel.policy.services import open_balance_review
from smmpanel.providers.client import RemoteStatus
from smmpanel.providers.models import Submission, SubmissionState
from smmpanel.staff.actions.orders import staff_cancel
from tests.factories import make_service, make_staff, make_user


def sent(order, remote_id: str = "9001") -> Submission:
    """Pretend the order's runs were accepted upstream."""
    Submission.objects.filter(order=order).update(
        state=SubmissionState.ACTIVE, provider_order_id=remote_id, sent_at=timezone.now()
    )
    order.status = OrderStatus.IN_PROGRESS
    order.save(update_fields=["status"])
    return Submission.objects.filter(order=order).order_by("run").first()


def remote(
    status: str, remains: int | None = None, charge: str | None = None, start_count: int | None = 10
) -> RemoteStatus:
    return RemoteStatus(
        status=status,
        charge=Decimal(charge) if charge is not None else None,
        start_count=start_count,
        remains=remains,
        currency="USD",
    )


@pytest.fixture
def order(db):
    data = {"link": "https://instagram.com/p/E1", "quantity": 100}
    return place_order(make_user("10"), make_service(), data)


def test_a_partial_without_any_remains_figure_goes_to_staff_unsettled(order):
    sub = sent(order)
    apply_remote_status(sub, remote("Partial", remains=None))
    sub.refresh_from_db()
    order.refresh_from_db()
    assert sub.state == SubmissionState.UNKNOWN
    assert order.status == OrderStatus.IN_PROGRESS
    assert not LedgerEntry.objects.filter(order=order, kind="refund").exists()


def test_an_absurd_provider_charge_is_ignored_not_a_crash(order):
    sub = sent(order)
    apply_remote_status(sub, remote("Completed", remains=0, charge="1e15"))
    sub.refresh_from_db()
    order.refresh_from_db()
    assert sub.provider_charge_micros is None
    assert order.status == OrderStatus.COMPLETED


def test_a_zero_refund_on_a_frozen_balance_is_held_not_an_error(db):
    free = make_service(rate_micros=0)
    user = make_user("5")
    order = place_order(user, free, {"link": "https://instagram.com/p/Free", "quantity": 100})
    open_balance_review(user, reason="checking a chargeback")
    apply_remote_status(sent(order), remote("Canceled"))
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELED
    assert HeldCredit.objects.filter(order=order, amount_micros=0).exists()
    assert ledger_mismatches() == []


def test_a_drip_feed_package_is_refused_runs_and_sent_once(db):
    package = make_service(
        type="package", min_quantity=1, max_quantity=1, dripfeed=True, rate_micros=5_000_000
    )
    data = {"link": "https://instagram.com/p/Pack", "runs": 10, "interval": 5}
    order = place_order(make_user("50"), package, data)
    assert order.runs is None and order.charge_micros == 5_000_000
    assert Submission.objects.filter(order=order).count() == 1


def test_staff_cannot_fully_refund_a_drip_feed_order_with_a_delivered_run(db):
    drip = make_service(dripfeed=True)
    data = {"link": "https://instagram.com/p/Drip", "quantity": 100, "runs": 3, "interval": 60}
    order = place_order(make_user("20"), drip, data)
    first = sent(order)
    Submission.objects.filter(order=order).exclude(pk=first.pk).update(
        state=SubmissionState.QUEUED, provider_order_id=""
    )
    apply_remote_status(first, remote("Completed", remains=0))
    with pytest.raises(ValueError, match="mark it partial"):
        staff_cancel(order, actor=make_staff("support"), reason="customer asked")
    assert not LedgerEntry.objects.filter(order=order, kind="refund").exists()


@pytest.mark.parametrize("empty", [0, None])
def test_a_running_order_keeps_its_start_count_when_an_answer_carries_none(order, empty):
    sub = sent(order)
    apply_remote_status(sub, remote("In progress", remains=60, start_count=192505))
    sub.refresh_from_db()
    apply_remote_status(sub, remote("In progress", remains=50, start_count=empty))
    sub.refresh_from_db()
    order.refresh_from_db()
    assert (sub.start_count, order.start_count, order.remains) == (192505, 192505, 50)


@pytest.mark.parametrize(
    ("upstream", "remains", "ends"),
    [("Completed", 0, OrderStatus.COMPLETED), ("Partial", 40, OrderStatus.PARTIAL),
     ("Canceled", 40, OrderStatus.PARTIAL)],
)  # fmt: skip
def test_an_ending_order_keeps_its_start_count_when_the_last_answer_carries_zero(
    order, upstream, remains, ends
):
    sub = sent(order)
    apply_remote_status(sub, remote("In progress", remains=60, start_count=192505))
    sub.refresh_from_db()
    apply_remote_status(sub, remote(upstream, remains=remains, start_count=0))
    order.refresh_from_db()
    assert (order.status, order.start_count) == (ends, 192505)


def test_a_start_count_staff_set_is_not_blanked_by_an_answer_without_one(order):
    sub = sent(order)
    Order.objects.filter(pk=order.pk).update(start_count=5000)
    apply_remote_status(sub, remote("In progress", remains=70, start_count=None))
    order.refresh_from_db()
    assert (order.start_count, order.remains) == (5000, 70)
