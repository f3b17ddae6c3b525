"""Edge cases of settlement found in review: each one used to lose or misplace money."""

from decimal import Decimal

import pytest
from django.utils import timezone

from smmpanel.billing.models import HeldCredit, LedgerEntry
from smmpanel.billing.selectors import ledger_mismatches
from smmpanel.orders.models import OrderStatus
from smmpanel.orders.services import place_order
from smmpanel.policy.services import open_balance_review, staff_cancel
from smmpanel.providers.client import RemoteStatus
from smmpanel.providers.models import Submission, SubmissionState
from smmpanel.providers.status_sync import apply_remote_status
from tests.factories import make_service, make_user


def sent(order, remote_id: str = "9001") -> Submission:
    """Pretend the order's runs were accepted upstream."""
    Submission.objects.filter(order=order).update(
        state=SubmissionState.ACTIVE, provider_order_id=remote_id, sent_at=timezone.now()
    )
    order.status = OrderStatus.IN_PROGRESS
    order.save(update_fields=["status"])
    return Submission.objects.filter(order=order).order_by("run").first()


def remote(status: str, remains: int | None = None, charge: str | None = None) -> RemoteStatus:
    return RemoteStatus(
        status=status,
        charge=Decimal(charge) if charge is not None else None,
        start_count=10,
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
        staff_cancel(order, actor=make_user(), reason="customer asked")
    assert not LedgerEntry.objects.filter(order=order, kind="refund").exists()
