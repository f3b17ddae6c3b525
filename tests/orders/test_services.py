"""Order workflows: placing (one charge, one transaction), the state machine, refunds,
customer cancels and refills."""

from datetime import timedelta
from itertools import product

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smmpanel.billing.models import LedgerEntry
from smmpanel.billing.selectors import balance_of, ledger_mismatches
from smmpanel.billing.services import AlreadySettled
from smmpanel.money import share_of, to_micros
from smmpanel.orders.errors import InvalidTransition, OrderRefused
from smmpanel.orders.models import Order, OrderEvent, OrderStatus, Refill, RefillStatus
from smmpanel.orders.services import (
    ACTIVE_ORDER_EXISTS,
    NOT_ENOUGH_FUNDS,
    cancel_and_refund,
    complete_order,
    place_order,
    refund_remains,
    request_cancel,
    request_refill,
)
from smmpanel.orders.state import ALLOWED, transition
from tests.factories import make_order, make_service, make_user, post_link

pytestmark = pytest.mark.django_db

S = OrderStatus

# The state machine of DESIGN.md, written out independently of the code's table.
EXPECTED_MOVES = {
    S.PENDING: {
        S.IN_PROGRESS,
        S.PROCESSING,
        S.COMPLETED,
        S.PARTIAL,
        S.CANCELED,
        S.REVIEW,
        S.FAIL,
    },
    S.REVIEW: {S.PENDING, S.CANCELED},
    S.FAIL: {S.PENDING, S.CANCELED},
    S.IN_PROGRESS: {S.PROCESSING, S.COMPLETED, S.PARTIAL, S.CANCELED},
    S.PROCESSING: {S.IN_PROGRESS, S.COMPLETED, S.PARTIAL, S.CANCELED},
    S.COMPLETED: set(),
    S.PARTIAL: set(),
    S.CANCELED: set(),
}


def in_status(order: Order, status: str) -> Order:
    """Test set-up: put the order in ``status`` directly, bypassing the state machine."""
    Order.objects.filter(pk=order.pk).update(status=status)
    order.status = status
    return order


def ledger_of(order: Order) -> list[tuple[str, int]]:
    return list(
        LedgerEntry.objects.filter(order=order).order_by("id").values_list("kind", "amount_micros")
    )


# --- place_order --------------------------------------------------------------------------


def test_placing_an_order_charges_once_and_records_it_pending(customer, service):
    order = place_order(customer, service, {"link": post_link(), "quantity": "250"})

    order.refresh_from_db()
    assert order.status == S.PENDING
    assert (order.quantity, order.remains, order.charge_micros) == (250, 250, 225_000)
    assert (order.currency, order.source) == ("USD", "api")
    assert ledger_of(order) == [("charge", -225_000)]
    assert balance_of(customer) == to_micros("100") - 225_000
    assert list(order.events.values_list("from_status", "to_status")) == [("", S.PENDING)]
    assert ledger_mismatches() == []


def test_an_active_order_from_before_the_constraint_still_refuses_another(customer, service):
    """Orders placed before migration 0004 are not ``exclusive``: the constraint ignores
    them, and the active-order check before the order is written refuses instead."""
    link = post_link()
    first = place_order(customer, service, {"link": link, "quantity": 100})
    Order.objects.filter(pk=first.pk).update(exclusive=False)
    balance = balance_of(customer)

    with pytest.raises(OrderRefused) as refused:
        place_order(customer, service, {"link": link, "quantity": 100})

    assert refused.value.message == ACTIVE_ORDER_EXISTS
    assert list(Order.objects.filter(user=customer).values_list("pk", flat=True)) == [first.pk]
    assert balance_of(customer) == balance


def test_placing_an_order_keeps_the_link_as_typed_and_its_canonical_form(customer, service):
    order = place_order(
        customer, service, {"link": "WWW.instagram.com/p/AbC/?igsh=1", "quantity": 100}
    )

    assert order.link == "WWW.instagram.com/p/AbC/?igsh=1"
    assert order.canonical_link == "https://instagram.com/p/AbC"


def test_an_order_beyond_the_balance_writes_nothing(service, nothing_written):
    poor = make_user("0.05")

    with nothing_written(poor), pytest.raises(OrderRefused, match=NOT_ENOUGH_FUNDS):
        place_order(poor, service, {"link": post_link(), "quantity": 100})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"link": "https://instagram.com/p/X", "quantity": 10}, "Quantity less than minimal 50"),
        ({"link": "https://instagram.com/p/X", "quantity": 10**6}, "more than maximum 10000"),
        ({"link": "https://instagram.com/natgeo", "quantity": 100}, "Instagram post"),
        ({"link": "https://instagram.com/p/X"}, "Quantity is required"),
    ],
)
def test_a_refused_order_writes_nothing(customer, service, data, message, nothing_written):
    with nothing_written(customer), pytest.raises(OrderRefused, match=message):
        place_order(customer, service, data)


def test_a_second_active_order_on_the_same_target_is_refused(customer, service, nothing_written):
    make_order(customer, service, "https://www.instagram.com/p/Same/")

    with nothing_written(customer), pytest.raises(OrderRefused) as refused:
        place_order(
            customer, service, {"link": "instagram.com/p/Same?utm_source=x", "quantity": 100}
        )

    assert refused.value.message == ACTIVE_ORDER_EXISTS
    assert refused.value.field == "link"


@pytest.mark.parametrize(
    "again",
    [
        "https://instagram.com/p/DupTarget1/?a=1",
        "https://instagram.com/p/DupTarget1/?hl=en&taken-by=x",
        "https://instagram.com/p/%44upTarget1/",
        "https://instagram.com/x/../p/./DupTarget1",
    ],
)
def test_another_spelling_of_an_active_link_is_refused(customer, service, nothing_written, again):
    """Query parameters that name no other target, escapes and dot segments: same post."""
    make_order(customer, service, "https://instagram.com/p/DupTarget1/")

    with nothing_written(customer), pytest.raises(OrderRefused) as refused:
        place_order(customer, service, {"link": again, "quantity": 100})

    assert refused.value.message == ACTIVE_ORDER_EXISTS


@pytest.mark.parametrize("status", [S.REVIEW, S.FAIL, S.IN_PROGRESS, S.PROCESSING])
def test_every_unfinished_status_counts_as_active(customer, service, status):
    in_status(make_order(customer, service, "https://instagram.com/p/Busy"), status)

    with pytest.raises(OrderRefused, match="active order"):
        make_order(customer, service, "https://instagram.com/p/Busy")


@pytest.mark.parametrize(
    "finish", [complete_order, cancel_and_refund, lambda o: refund_remains(o, 1)]
)
def test_a_finished_order_does_not_block_a_new_one(customer, service, finish):
    finish(make_order(customer, service, "https://instagram.com/p/Again"))

    assert make_order(customer, service, "https://instagram.com/p/Again").status == S.PENDING


def test_the_same_link_is_fine_for_another_service_or_another_user(customer, service):
    link = "https://instagram.com/p/Shared"
    make_order(customer, service, link)

    assert make_order(customer, make_service(), link)
    assert make_order(make_user("10"), service, link)


def test_a_service_may_allow_several_active_orders_on_one_link(customer):
    views = make_service(allow_multiple_active=True)

    first = make_order(customer, views, "https://instagram.com/p/Many")
    second = make_order(customer, views, "https://instagram.com/p/Many")

    assert first.pk != second.pk


def test_drip_feed_charges_and_waits_for_quantity_times_runs(customer):
    drip = make_service(dripfeed=True)

    order = make_order(customer, drip, quantity=100, runs=3, interval=60)

    assert (order.runs, order.interval, order.remains) == (3, 60, 300)
    assert order.charge_micros == 270_000


# --- the state machine --------------------------------------------------------------------


def test_the_transition_table_is_the_designed_one():
    assert {k: set(v) for k, v in ALLOWED.items()} == EXPECTED_MOVES


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [(a, b) for a, b in product(S, S) if b in EXPECTED_MOVES[a]],
)
def test_an_allowed_transition_moves_the_order_and_writes_one_event(
    customer, service, from_status, to_status
):
    order = in_status(make_order(customer, service), from_status)
    staff = make_user(role="staff")

    transition(order, to_status, actor=staff, note="by hand")

    assert Order.objects.get(pk=order.pk).status == to_status
    event = order.events.order_by("id").last()
    assert (event.from_status, event.to_status, event.actor, event.note) == (
        from_status,
        to_status,
        staff,
        "by hand",
    )
    assert order.events.count() == 2  # placed + this one


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [(a, b) for a, b in product(S, S) if b not in EXPECTED_MOVES[a]],
)
def test_a_forbidden_transition_raises_and_writes_nothing(
    customer, service, from_status, to_status
):
    order = in_status(make_order(customer, service), from_status)

    with pytest.raises(InvalidTransition):
        transition(order, to_status)

    assert Order.objects.get(pk=order.pk).status == from_status
    assert order.events.count() == 1


def test_a_transition_on_a_stale_copy_loses_to_the_writer_who_moved_first(customer, service):
    order = make_order(customer, service)
    stale = Order.objects.get(pk=order.pk)
    complete_order(order)

    with pytest.raises(InvalidTransition):
        cancel_and_refund(stale)

    assert Order.objects.get(pk=order.pk).status == S.COMPLETED
    assert ledger_of(order) == [("charge", -90_000)]


@pytest.mark.parametrize("final", [S.COMPLETED, S.CANCELED])
def test_a_final_status_stamps_the_finish_time(customer, service, final):
    order = make_order(customer, service)

    transition(order, final)

    assert Order.objects.get(pk=order.pk).finished_at is not None


def test_completing_records_start_count_and_nothing_remaining(customer, service):
    order = complete_order(make_order(customer, service), start_count=3572)

    order.refresh_from_db()
    assert (order.status, order.start_count, order.remains) == (S.COMPLETED, 3572, 0)
    assert ledger_of(order) == [("charge", -90_000)]


# --- refunds ------------------------------------------------------------------------------


def test_partial_refunds_charge_times_remains_over_quantity_as_one_entry(customer):
    service = make_service(rate_micros=to_micros("0.27819"), max_quantity=100_000)
    order = make_order(customer, service, quantity=1000)

    refund_remains(order, 157)

    order.refresh_from_db()
    assert (order.status, order.remains) == (S.PARTIAL, 157)
    assert ledger_of(order) == [("charge", -278_190), ("refund", 43_676)]
    assert balance_of(customer) == to_micros("100") - 278_190 + 43_676
    assert ledger_mismatches() == []


def test_partial_refund_of_a_drip_feed_order_counts_all_runs(customer):
    order = make_order(customer, make_service(dripfeed=True), quantity=100, runs=4, interval=10)

    refund_remains(order, 100)

    assert ledger_of(order)[-1] == ("refund", share_of(360_000, 100, 400)) == ("refund", 90_000)


@pytest.mark.parametrize("remains", [0, 100, 101, -1])
def test_partial_needs_remains_strictly_between_nothing_and_everything(
    customer, service, remains, nothing_written
):
    order = make_order(customer, service, quantity=100)

    with nothing_written(customer), pytest.raises(ValueError):
        refund_remains(order, remains)

    assert Order.objects.get(pk=order.pk).status == S.PENDING


def test_a_partial_order_is_never_refunded_twice(customer, service):
    order = make_order(customer, service)
    refund_remains(order, 40)

    with pytest.raises(InvalidTransition):
        refund_remains(Order.objects.get(pk=order.pk), 40)
    with pytest.raises(InvalidTransition):
        cancel_and_refund(Order.objects.get(pk=order.pk))

    assert [kind for kind, _ in ledger_of(order)] == ["charge", "refund"]


def test_cancel_and_refund_returns_the_whole_charge(customer, service):
    order = make_order(customer, service)

    cancel_and_refund(order, note="provider refused")

    assert Order.objects.get(pk=order.pk).status == S.CANCELED
    assert ledger_of(order) == [("charge", -90_000), ("refund", 90_000)]
    assert balance_of(customer) == to_micros("100")
    assert order.events.last().note == "provider refused"


def test_a_completed_order_cannot_be_canceled_and_refunded(customer, service, nothing_written):
    order = complete_order(make_order(customer, service))

    with nothing_written(customer), pytest.raises(InvalidTransition):
        cancel_and_refund(order)


def test_a_refund_that_cannot_be_written_undoes_the_status_change(customer, service):
    order = make_order(customer, service)
    LedgerEntry.objects.create(
        user=customer, kind="refund", amount_micros=0, balance_after_micros=0, order=order
    )  # a stray refund already there: the database refuses a second one

    with pytest.raises(AlreadySettled):
        cancel_and_refund(order)

    assert Order.objects.get(pk=order.pk).status == S.PENDING
    assert order.events.count() == 1


# --- customer cancel ----------------------------------------------------------------------


def test_cancelling_a_pending_order_cancels_and_refunds_it_at_once(customer, service):
    order = make_order(customer, service)

    request_cancel(customer, order.pk)

    order.refresh_from_db()
    assert order.status == S.CANCELED
    assert ledger_of(order) == [("charge", -90_000), ("refund", 90_000)]
    assert order.events.last().actor == customer


@pytest.mark.parametrize("status", [S.IN_PROGRESS, S.PROCESSING])
def test_cancelling_a_running_order_is_recorded_for_the_provider(
    customer, service, status, nothing_written
):
    order = in_status(make_order(customer, service), status)

    with nothing_written(customer):
        request_cancel(customer, str(order.pk))

    order.refresh_from_db()
    assert order.status == status
    assert order.cancel_requested_at is not None


def test_a_second_cancel_request_of_a_running_order_is_refused(customer, service):
    order = in_status(make_order(customer, service), S.IN_PROGRESS)
    request_cancel(customer, order.pk)

    with pytest.raises(OrderRefused, match="already been requested"):
        request_cancel(customer, order.pk)


def test_cancel_is_refused_for_a_service_without_cancel(customer, nothing_written):
    order = make_order(customer, make_service(cancel=False))

    with nothing_written(customer), pytest.raises(OrderRefused, match="not available"):
        request_cancel(customer, order.pk)

    assert Order.objects.get(pk=order.pk).status == S.PENDING


@pytest.mark.parametrize("status", [S.COMPLETED, S.PARTIAL, S.CANCELED])
def test_cancel_is_refused_for_a_finished_order(customer, service, status, nothing_written):
    order = in_status(make_order(customer, service), status)

    with nothing_written(customer), pytest.raises(OrderRefused, match="no longer be canceled"):
        request_cancel(customer, order.pk)


@pytest.mark.parametrize("order_id", ["999999", "abc", None, "-1", "1" * 40])
def test_cancel_of_a_missing_order_is_incorrect_order_id(customer, order_id):
    with pytest.raises(OrderRefused, match="^Incorrect order ID$"):
        request_cancel(customer, order_id)


def test_cancel_of_another_users_order_is_incorrect_order_id(customer, service, nothing_written):
    theirs = make_order(make_user("10"), service)

    with nothing_written(customer), pytest.raises(OrderRefused, match="^Incorrect order ID$"):
        request_cancel(customer, theirs.pk)

    assert Order.objects.get(pk=theirs.pk).status == S.PENDING


# --- customer refill ----------------------------------------------------------------------


@pytest.mark.parametrize("finish", [complete_order, lambda o: refund_remains(o, 10)])
def test_refill_opens_a_pending_refill_for_a_finished_order(customer, service, finish):
    order = finish(make_order(customer, service))

    refill = request_refill(customer, order.pk)

    assert (refill.order_id, refill.user, refill.status) == (order.pk, customer, "pending")


@pytest.mark.parametrize("status", [S.PENDING, S.IN_PROGRESS, S.PROCESSING, S.CANCELED, S.REVIEW])
def test_refill_is_refused_before_an_order_is_completed(customer, service, status):
    order = in_status(make_order(customer, service), status)

    with pytest.raises(OrderRefused, match="only for completed orders"):
        request_refill(customer, order.pk)
    assert not Refill.objects.exists()


def test_refill_is_refused_for_a_service_without_refill(customer):
    order = complete_order(make_order(customer, make_service(refill=False, refill_days=0)))

    with pytest.raises(OrderRefused, match="not available"):
        request_refill(customer, order.pk)


def test_refill_is_refused_after_the_refill_period(customer, service):
    order = complete_order(make_order(customer, service))
    Order.objects.filter(pk=order.pk).update(finished_at=timezone.now() - timedelta(days=31))

    with pytest.raises(OrderRefused, match="period"):
        request_refill(customer, order.pk)


def test_refill_is_accepted_within_the_refill_period(customer, service):
    order = complete_order(make_order(customer, service))
    Order.objects.filter(pk=order.pk).update(finished_at=timezone.now() - timedelta(days=29))

    assert request_refill(customer, order.pk)


def test_only_one_refill_of_an_order_is_open_at_a_time(customer, service):
    order = complete_order(make_order(customer, service))
    first = request_refill(customer, order.pk)

    with pytest.raises(OrderRefused, match="already in progress"):
        request_refill(customer, order.pk)
    Refill.objects.filter(pk=first.pk).update(status=RefillStatus.IN_PROGRESS)
    with pytest.raises(OrderRefused, match="already in progress"):
        request_refill(customer, order.pk)

    Refill.objects.filter(pk=first.pk).update(status=RefillStatus.COMPLETED)
    assert request_refill(customer, order.pk).pk != first.pk


def test_refill_of_another_users_order_is_incorrect_order_id(customer, service):
    stranger = make_user("10")
    theirs = complete_order(make_order(stranger, service))

    with pytest.raises(OrderRefused, match="^Incorrect order ID$"):
        request_refill(customer, theirs.pk)
    assert not Refill.objects.exists()


# --- money stays right under any sequence -------------------------------------------------

operations = st.lists(
    st.tuples(
        st.sampled_from(["place", "complete", "partial", "cancel", "request_cancel", "start"]),
        st.integers(min_value=0, max_value=7),  # which order / which link
        st.integers(min_value=0, max_value=400),  # quantity or remains
    ),
    min_size=1,
    max_size=20,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations)
def test_any_sequence_of_orders_keeps_the_ledger_right_and_never_refunds_twice(db, steps):
    with transaction.atomic():
        user = make_user("1")
        service = make_service(rate_micros=to_micros("7.77"), min_quantity=1, max_quantity=300)
        orders: list[Order] = []
        for op, which, amount in steps:
            try:
                if op == "place":
                    link = f"https://instagram.com/p/P{which % 3}"
                    orders.append(make_order(user, service, link, quantity=amount))
                    continue
                if not orders:
                    continue
                order = Order.objects.get(pk=orders[which % len(orders)].pk)
                if op == "complete":
                    complete_order(order)
                elif op == "partial":
                    refund_remains(order, amount)
                elif op == "cancel":
                    cancel_and_refund(order)
                elif op == "request_cancel":
                    request_cancel(user, order.pk)
                else:
                    transition(order, S.IN_PROGRESS)
            except (InvalidTransition, OrderRefused, ValueError):
                pass
            assert ledger_mismatches() == []

        expected_balance = to_micros("1")
        for order in Order.objects.filter(user=user):
            entries = ledger_of(order)
            kinds = [kind for kind, _ in entries]
            assert kinds in (["charge"], ["charge", "refund"])
            refund = entries[1][1] if len(entries) == 2 else 0
            assert 0 <= refund <= order.charge_micros
            if order.status == S.CANCELED:
                assert refund == order.charge_micros
            elif order.status == S.PARTIAL:
                assert refund == share_of(order.charge_micros, order.remains, order.quantity)
            else:
                assert refund == 0
            expected_balance += refund - order.charge_micros
        assert balance_of(user) == expected_balance >= 0
        assert OrderEvent.objects.filter(order__user=user, from_status="").count() == len(orders)
        transaction.set_rollback(True)
