"""Staff actions added for the back-office: balance adjustment, start count, completion,
own prices and bulk order actions. Each goes through the product's services and lands
in the audit log with the staff member and the reason."""

import pytest

from smmpanel.billing.models import LedgerEntry
from smmpanel.billing.money import to_micros
from smmpanel.billing.selectors import balance_of, ledger_mismatches
from smmpanel.catalog.models import CustomRate
from smmpanel.orders.errors import InvalidTransition
from smmpanel.orders.models import OrderStatus
from smmpanel.orders.state import transition
from smmpanel.policy import services as policy
from smmpanel.policy.models import Decision
from smmpanel.providers.models import Submission, SubmissionState
from tests.factories import make_order, make_user


@pytest.fixture
def shopper(db):
    return make_user("100")


@pytest.fixture
def order(shopper, service):
    return make_order(shopper, service, quantity=1000)


def audit_of(code: str) -> Decision:
    return Decision.objects.get(rule_code=code)


# --- balance adjustment ------------------------------------------------------------------


def test_adding_funds_writes_one_adjustment_entry(shopper, staff):
    before = LedgerEntry.objects.count()
    entry = policy.staff_adjust_balance(shopper, to_micros("5"), actor=staff, reason="goodwill")
    assert LedgerEntry.objects.count() == before + 1
    assert (entry.kind, entry.amount_micros, entry.memo, entry.created_by) == (
        LedgerEntry.Kind.ADJUSTMENT,
        to_micros("5"),
        "goodwill",
        staff,
    )


def test_an_adjustment_moves_the_balance_and_keeps_the_ledger_clean(shopper, staff):
    policy.staff_adjust_balance(shopper, -to_micros("30"), actor=staff, reason="double deposit")
    assert balance_of(shopper) == to_micros("70")
    assert not ledger_mismatches()


def test_an_adjustment_is_audited_with_actor_reason_and_amount(shopper, staff):
    policy.staff_adjust_balance(shopper, to_micros("5"), actor=staff, reason="goodwill")
    audit = audit_of("balance.adjust")
    assert (audit.actor, audit.user, audit.reason) == (staff, shopper, "goodwill")
    assert audit.inputs["amount"] == to_micros("5")


def test_a_deduction_may_take_the_balance_below_zero(shopper, staff):
    policy.staff_adjust_balance(shopper, -to_micros("150"), actor=staff, reason="chargeback fee")
    assert balance_of(shopper) == -to_micros("50")


def test_staff_may_adjust_a_balance_under_review(shopper, staff):
    policy.open_balance_review(shopper, reason="disputed", actor=staff)
    policy.staff_adjust_balance(shopper, to_micros("1"), actor=staff, reason="correction")
    assert balance_of(shopper) == to_micros("101")


@pytest.mark.parametrize(("amount", "reason"), [(0, "why"), (100, " ")])
def test_an_adjustment_without_amount_or_reason_writes_nothing(shopper, staff, amount, reason):
    before = (LedgerEntry.objects.count(), Decision.objects.count())
    with pytest.raises(ValueError):
        policy.staff_adjust_balance(shopper, amount, actor=staff, reason=reason)
    assert (LedgerEntry.objects.count(), Decision.objects.count()) == before


# --- start count and completion ----------------------------------------------------------


def test_setting_the_start_count_is_saved_and_audited(order, staff):
    policy.staff_set_start_count(order, 1234, actor=staff, reason="provider said so")
    order.refresh_from_db()
    assert order.start_count == 1234
    audit = audit_of("order.start_count")
    assert (audit.actor, audit.order, audit.reason) == (staff, order, "provider said so")


def test_a_canceled_order_takes_no_start_count(order, staff):
    policy.staff_cancel(order, actor=staff, reason="typo")
    with pytest.raises(ValueError):
        policy.staff_set_start_count(order, 10, actor=staff, reason="x")
    assert not Decision.objects.filter(rule_code="order.start_count").exists()


def test_a_negative_start_count_is_refused(order, staff):
    with pytest.raises(ValueError):
        policy.staff_set_start_count(order, -1, actor=staff, reason="x")


def test_completing_an_order_ends_it_without_a_refund(order, staff, shopper):
    balance = balance_of(shopper)
    policy.staff_complete(order, actor=staff, reason="delivered by hand", start_count=5)
    order.refresh_from_db()
    assert (order.status, order.remains, order.start_count) == (OrderStatus.COMPLETED, 0, 5)
    assert balance_of(shopper) == balance
    assert not LedgerEntry.objects.filter(order=order, kind=LedgerEntry.Kind.REFUND).exists()


def test_completing_an_order_withdraws_its_unsent_runs(order, staff):
    policy.staff_complete(order, actor=staff, reason="delivered by hand")
    assert not Submission.objects.filter(order=order, state=SubmissionState.QUEUED).exists()


def test_completing_an_order_is_audited(order, staff):
    policy.staff_complete(order, actor=staff, reason="delivered by hand")
    audit = audit_of("order.complete")
    assert (audit.actor, audit.order, audit.reason) == (staff, order, "delivered by hand")


def test_a_failed_order_cannot_be_marked_completed(order, staff):
    transition(order, OrderStatus.FAIL)
    with pytest.raises(InvalidTransition):
        policy.staff_complete(order, actor=staff, reason="x")
    assert not Decision.objects.filter(rule_code="order.complete").exists()


def test_only_a_failed_order_can_be_resent(order, staff):
    with pytest.raises(ValueError):
        policy.staff_resend(order, actor=staff, reason="x")
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


# --- own prices --------------------------------------------------------------------------


def test_setting_an_own_price_is_audited(shopper, service, staff):
    policy.staff_set_custom_rate(
        shopper, service, actor=staff, reason="reseller deal", rate_micros=to_micros("0.5")
    )
    audit = audit_of("price.custom_rate")
    assert (audit.actor, audit.user, audit.reason) == (staff, shopper, "reseller deal")
    assert audit.inputs == {"service": service.pk, "rate": to_micros("0.5")}


def test_removing_an_own_price_is_audited(shopper, staff):
    rule = policy.staff_set_custom_rate(shopper, None, actor=staff, reason="promo", discount_bp=500)
    policy.staff_remove_custom_rate(rule, actor=staff, reason="promo over")
    assert not CustomRate.objects.exists()
    assert audit_of("price.custom_rate_remove").reason == "promo over"


def test_an_own_price_needs_a_reason(shopper, staff):
    with pytest.raises(ValueError):
        policy.staff_set_custom_rate(shopper, None, actor=staff, reason="", discount_bp=500)
    assert not CustomRate.objects.exists()


# --- bulk --------------------------------------------------------------------------------


def test_a_bulk_action_reports_an_order_that_cannot_take_it_and_does_the_rest(
    shopper, service, staff
):
    first, done, last = (make_order(shopper, service) for _ in range(3))
    policy.staff_complete(done, actor=staff, reason="delivered")

    results = policy.staff_bulk_order_action(
        [first.pk, done.pk, last.pk], policy.BULK_CANCEL, actor=staff, reason="customer asked"
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
    policy.staff_bulk_order_action(
        [o.pk for o in orders], policy.BULK_CANCEL, actor=staff, reason="duplicate"
    )
    audits = Decision.objects.filter(rule_code="order.cancel", actor=staff, reason="duplicate")
    assert {a.order_id for a in audits} == {o.pk for o in orders}


def test_a_bulk_partial_uses_each_orders_remains(shopper, service, staff):
    a, b = make_order(shopper, service), make_order(shopper, service)
    policy.staff_bulk_order_action(
        [a.pk, b.pk],
        policy.BULK_PARTIAL,
        actor=staff,
        reason="stalled",
        values={a.pk: 10, b.pk: 60},
    )
    a.refresh_from_db(), b.refresh_from_db()
    assert (a.status, a.remains, b.remains) == (OrderStatus.PARTIAL, 10, 60)
    assert not ledger_mismatches()


def test_a_bulk_partial_without_remains_reports_the_order(order, staff):
    [result] = policy.staff_bulk_order_action(
        [order.pk], policy.BULK_PARTIAL, actor=staff, reason="stalled"
    )
    assert not result.ok and "remains" in result.message


def test_a_bulk_action_reports_a_missing_order(order, staff):
    results = policy.staff_bulk_order_action(
        [order.pk, 999_999],
        policy.BULK_START_COUNT,
        actor=staff,
        reason="x",
        values={order.pk: 7, 999_999: 7},
    )
    assert [(r.order_id, r.ok) for r in results] == [(order.pk, True), (999_999, False)]


def test_a_bulk_resend_refuses_orders_that_did_not_fail(shopper, service, staff):
    failed, pending = make_order(shopper, service), make_order(shopper, service)
    transition(failed, OrderStatus.FAIL)
    results = policy.staff_bulk_order_action(
        [failed.pk, pending.pk], policy.BULK_RESEND, actor=staff, reason="checked upstream"
    )
    assert [r.ok for r in results] == [True, False]
    failed.refresh_from_db()
    assert failed.status == OrderStatus.PENDING


@pytest.mark.parametrize(("action", "reason"), [("delete", "x"), (policy.BULK_CANCEL, "")])
def test_a_bulk_action_without_a_known_action_or_reason_does_nothing(order, staff, action, reason):
    with pytest.raises(ValueError):
        policy.staff_bulk_order_action([order.pk], action, actor=staff, reason=reason)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
