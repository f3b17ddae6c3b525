"""Staff actions on orders (``staff.actions.orders``): Review orders approved or
rejected, cancel and partial with their refunds, start count, completion, resend and the
bulk form of each. Each goes through the orders' services and lands in the audit log
with the staff member and the reason."""

import pytest

from smmpanel.audit.models import Decision
from smmpanel.billing import services as billing
from smmpanel.billing.models import LedgerEntry
from smmpanel.billing.selectors import balance_of, ledger_mismatches
from smmpanel.billing.services import AlreadySettled
from smmpanel.fulfilment.forwarding import due_submissions
from smmpanel.money import share_of
from smmpanel.orders.errors import InvalidTransition
from smmpanel.orders.models import OrderEvent, OrderStatus
from smmpanel.orders.state import transition
from smmpanel.providers.models import Submission, SubmissionState
from smmpanel.staff.actions import orders as order_actions
from tests.factories import make_order, make_user
from tests.policy.conftest import tune


@pytest.fixture
def shopper(db):
    return make_user("100")


def audit_of(code: str) -> Decision:
    return Decision.objects.get(rule_code=code)


@pytest.fixture
def order(shopper, service):
    return make_order(shopper, service, quantity=1000)


def refunds(order) -> list[int]:
    return list(
        LedgerEntry.objects.filter(order=order, kind=LedgerEntry.Kind.REFUND).values_list(
            "amount_micros", flat=True
        )
    )


@pytest.fixture
def hold_everything(staff):
    """Every order is held for review (the large-order rule, enforced, threshold 0)."""
    tune("order.large", staff, shadow=False, thresholds={"review_at_micros": 0})


# --- Review orders, cancel and partial ---------------------------------------------------


def test_rejected_review_order_is_refunded_exactly_once(customer, service, staff, hold_everything):
    before = balance_of(customer)
    held = make_order(customer, service)
    assert held.status == OrderStatus.REVIEW
    assert balance_of(customer) == before - held.charge_micros  # charged, held
    assert Submission.objects.get(order=held).pk not in due_submissions()

    order_actions.reject_order(held, actor=staff, reason="misleading target")
    held.refresh_from_db()
    assert held.status == OrderStatus.CANCELED
    assert refunds(held) == [held.charge_micros]
    assert balance_of(customer) == before
    assert Submission.objects.get(order=held).state == SubmissionState.DONE  # never sent

    with pytest.raises(InvalidTransition):
        order_actions.reject_order(held, actor=staff, reason="again")
    with pytest.raises(AlreadySettled):
        billing.refund_order(held, held.charge_micros)
    assert refunds(held) == [held.charge_micros]
    assert balance_of(customer) == before
    audit = Decision.objects.get(rule_code="order.reject")
    assert (audit.actor, audit.order, audit.reason) == (staff, held, "misleading target")
    assert not ledger_mismatches()


def test_approved_review_order_becomes_pending_and_forwardable(
    customer, service, staff, hold_everything, monkeypatch
):
    nudged = []
    monkeypatch.setattr("smmpanel.providers.outbox.nudge_forwarding", nudged.append)
    held = make_order(customer, service)
    charged = balance_of(customer)

    order_actions.approve_order(held, actor=staff, reason="looks fine")
    held.refresh_from_db()
    assert held.status == OrderStatus.PENDING
    assert Submission.objects.get(order=held).pk in due_submissions()
    assert nudged == [held.pk]
    assert balance_of(customer) == charged  # no money moves on approval
    event = OrderEvent.objects.filter(order=held).latest("id")
    assert (event.from_status, event.to_status, event.actor) == ("review", "pending", staff)
    assert Decision.objects.get(rule_code="order.approve").actor == staff

    with pytest.raises(InvalidTransition):
        order_actions.approve_order(held, actor=staff, reason="twice")
    with pytest.raises(ValueError, match="reason"):
        order_actions.approve_order(make_order(customer, service), actor=staff, reason="")


def test_staff_cancel_refunds_in_full_and_withdraws_unsent_work(customer, service, staff):
    before = balance_of(customer)
    order = make_order(customer, service)
    order_actions.staff_cancel(order, actor=staff, reason="customer asked by ticket")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELED
    assert refunds(order) == [order.charge_micros]
    assert balance_of(customer) == before
    assert Submission.objects.get(order=order).state == SubmissionState.DONE
    assert Decision.objects.get(rule_code="order.cancel").actor == staff
    with pytest.raises(InvalidTransition):
        order_actions.staff_cancel(order, actor=staff, reason="again")
    assert refunds(order) == [order.charge_micros]


def test_staff_mark_partial_refunds_the_remains(customer, service, staff):
    before = balance_of(customer)
    order = make_order(customer, service, quantity=1000)
    transition(order, OrderStatus.IN_PROGRESS)
    order_actions.staff_mark_partial(order, 250, actor=staff, reason="provider stopped at 750")
    order.refresh_from_db()
    assert (order.status, order.remains) == (OrderStatus.PARTIAL, 250)
    refund = share_of(order.charge_micros, 250, 1000)
    assert refunds(order) == [refund] and 0 < refund < order.charge_micros
    assert balance_of(customer) == before - order.charge_micros + refund
    audit = Decision.objects.get(rule_code="order.partial")
    assert audit.actor == staff and audit.inputs == {"remains": 250}
    with pytest.raises(InvalidTransition):
        order_actions.staff_mark_partial(order, 100, actor=staff, reason="again")
    with pytest.raises(ValueError):
        order_actions.staff_mark_partial(make_order(customer, service), 0, actor=staff, reason="x")
    assert refunds(order) == [refund]
    assert not ledger_mismatches()


# --- start count and completion ----------------------------------------------------------


def test_setting_the_start_count_is_saved_and_audited(order, staff):
    order_actions.staff_set_start_count(order, 1234, actor=staff, reason="provider said so")
    order.refresh_from_db()
    assert order.start_count == 1234
    audit = audit_of("order.start_count")
    assert (audit.actor, audit.order, audit.reason) == (staff, order, "provider said so")


def test_a_canceled_order_takes_no_start_count(order, staff):
    order_actions.staff_cancel(order, actor=staff, reason="typo")
    with pytest.raises(ValueError):
        order_actions.staff_set_start_count(order, 10, actor=staff, reason="x")
    assert not Decision.objects.filter(rule_code="order.start_count").exists()


def test_a_negative_start_count_is_refused(order, staff):
    with pytest.raises(ValueError):
        order_actions.staff_set_start_count(order, -1, actor=staff, reason="x")


def test_completing_an_order_ends_it_without_a_refund(order, staff, shopper):
    balance = balance_of(shopper)
    order_actions.staff_complete(order, actor=staff, reason="delivered by hand", start_count=5)
    order.refresh_from_db()
    assert (order.status, order.remains, order.start_count) == (OrderStatus.COMPLETED, 0, 5)
    assert balance_of(shopper) == balance
    assert not LedgerEntry.objects.filter(order=order, kind=LedgerEntry.Kind.REFUND).exists()


def test_completing_an_order_withdraws_its_unsent_runs(order, staff):
    order_actions.staff_complete(order, actor=staff, reason="delivered by hand")
    assert not Submission.objects.filter(order=order, state=SubmissionState.QUEUED).exists()


def test_completing_an_order_is_audited(order, staff):
    order_actions.staff_complete(order, actor=staff, reason="delivered by hand")
    audit = audit_of("order.complete")
    assert (audit.actor, audit.order, audit.reason) == (staff, order, "delivered by hand")


def test_a_failed_order_cannot_be_marked_completed(order, staff):
    transition(order, OrderStatus.FAIL)
    with pytest.raises(InvalidTransition):
        order_actions.staff_complete(order, actor=staff, reason="x")
    assert not Decision.objects.filter(rule_code="order.complete").exists()


def test_only_a_failed_order_can_be_resent(order, staff):
    with pytest.raises(ValueError):
        order_actions.staff_resend(order, actor=staff, reason="x")
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


# --- bulk --------------------------------------------------------------------------------


def test_a_bulk_action_reports_an_order_that_cannot_take_it_and_does_the_rest(
    shopper, service, staff
):
    first, done, last = (make_order(shopper, service) for _ in range(3))
    order_actions.staff_complete(done, actor=staff, reason="delivered")

    results = order_actions.staff_bulk_order_action(
        [first.pk, done.pk, last.pk],
        order_actions.BULK_CANCEL,
        actor=staff,
        reason="customer asked",
    )

    assert [(r.order_id, r.ok) for r in results] == [
        (first.pk, True),
        (done.pk, False),
        (last.pk, True),
    ]
    assert "completed" in results[1].message
    for o in (first, last):
        o.refresh_from_db()
        assert o.status == OrderStatus.CANCELED


def test_each_order_of_a_bulk_action_is_audited(shopper, service, staff):
    orders = [make_order(shopper, service) for _ in range(2)]
    order_actions.staff_bulk_order_action(
        [o.pk for o in orders], order_actions.BULK_CANCEL, actor=staff, reason="duplicate"
    )
    audits = Decision.objects.filter(rule_code="order.cancel", actor=staff, reason="duplicate")
    assert {a.order_id for a in audits} == {o.pk for o in orders}


def test_a_bulk_partial_uses_each_orders_remains(shopper, service, staff):
    a, b = make_order(shopper, service), make_order(shopper, service)
    order_actions.staff_bulk_order_action(
        [a.pk, b.pk],
        order_actions.BULK_PARTIAL,
        actor=staff,
        reason="stalled",
        values={a.pk: 10, b.pk: 60},
    )
    a.refresh_from_db(), b.refresh_from_db()
    assert (a.status, a.remains, b.remains) == (OrderStatus.PARTIAL, 10, 60)
    assert not ledger_mismatches()


def test_a_bulk_partial_without_remains_reports_the_order(order, staff):
    [result] = order_actions.staff_bulk_order_action(
        [order.pk], order_actions.BULK_PARTIAL, actor=staff, reason="stalled"
    )
    assert not result.ok and "remains" in result.message


def test_a_bulk_action_reports_a_missing_order(order, staff):
    results = order_actions.staff_bulk_order_action(
        [order.pk, 999_999],
        order_actions.BULK_START_COUNT,
        actor=staff,
        reason="x",
        values={order.pk: 7, 999_999: 7},
    )
    assert [(r.order_id, r.ok) for r in results] == [(order.pk, True), (999_999, False)]


def test_a_bulk_resend_refuses_orders_that_did_not_fail(shopper, service, staff):
    failed, pending = make_order(shopper, service), make_order(shopper, service)
    transition(failed, OrderStatus.FAIL)
    results = order_actions.staff_bulk_order_action(
        [failed.pk, pending.pk], order_actions.BULK_RESEND, actor=staff, reason="checked upstream"
    )
    assert [r.ok for r in results] == [True, False]
    failed.refresh_from_db()
    assert failed.status == OrderStatus.PENDING


@pytest.mark.parametrize(("action", "reason"), [("delete", "x"), (order_actions.BULK_CANCEL, "")])
def test_a_bulk_action_without_a_known_action_or_reason_does_nothing(order, staff, action, reason):
    with pytest.raises(ValueError):
        order_actions.staff_bulk_order_action([order.pk], action, actor=staff, reason=reason)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
