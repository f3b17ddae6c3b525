"""The ledger: every money movement is exactly one append-only entry, and a wallet always
equals the sum of its entries."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smmpanel.billing.models import LedgerEntry, Wallet
from smmpanel.billing.selectors import balance_of, ledger_mismatches
from smmpanel.billing.services import (
    AlreadySettled,
    InsufficientFunds,
    adjust,
    charge_order,
    deposit,
    open_wallet,
    record_chargeback,
    refund_order,
)
from smmpanel.money import to_micros
from smmpanel.orders.models import Order
from tests.factories import make_service, make_user, post_link

pytestmark = pytest.mark.django_db

db_examples = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def unpaid_order(user, service, charge: str = "0.09") -> Order:
    """An order row not yet charged, to drive ``charge_order`` on its own."""
    return Order.objects.create(
        user=user,
        service=service,
        link=post_link(),
        canonical_link="https://instagram.com/p/x",
        link_key="x",
        quantity=100,
        charge_micros=to_micros(charge),
        currency="USD",
        remains=100,
    )


@pytest.fixture
def paid_order(customer, service):
    order = unpaid_order(customer, service)
    charge_order(order)
    return order


def entries(user):
    return list(LedgerEntry.objects.filter(user=user).order_by("id"))


def assert_wallet_equals_ledger(user):
    total = sum(e.amount_micros for e in entries(user))
    assert balance_of(user) == total
    assert ledger_mismatches() == []


# --- one entry per movement -----------------------------------------------------------------


def test_a_new_user_has_an_empty_wallet_in_the_panel_currency(db):
    user = make_user()

    wallet = Wallet.objects.get(user=user)
    assert (wallet.balance_micros, wallet.currency) == (0, "USD")
    assert entries(user) == []


def test_opening_a_wallet_twice_keeps_the_one_wallet(customer):
    assert open_wallet(customer).pk == open_wallet(customer).pk
    assert balance_of(customer) == to_micros("100")


def test_deposit_writes_one_credit_entry_and_raises_the_balance(db):
    user = make_user()

    entry = deposit(user, to_micros("25.50"), memo="card payment")

    assert entries(user) == [entry]
    assert (entry.kind, entry.amount_micros, entry.balance_after_micros, entry.memo) == (
        "deposit",
        25_500_000,
        25_500_000,
        "card payment",
    )
    assert balance_of(user) == 25_500_000
    assert_wallet_equals_ledger(user)


def test_a_sum_beyond_32_bits_moves_the_balance_whole(db):
    """Ten million in micros is past what a 32-bit integer holds: the wallet's UPDATE
    must add it as the bigint it is (a reseller's float, a bench's balance)."""
    user = make_user()

    deposit(user, to_micros("10000000"), memo="wire transfer")

    assert balance_of(user) == 10_000_000_000_000
    assert_wallet_equals_ledger(user)


@pytest.mark.parametrize("amount", [0, -1])
def test_deposit_of_nothing_or_less_is_refused(customer, amount):
    with pytest.raises(ValueError):
        deposit(customer, amount)
    assert len(entries(customer)) == 1  # the opening deposit only


def test_charge_writes_one_debit_entry_linked_to_the_order(customer, service):
    order = unpaid_order(customer, service, "0.27819")

    entry = charge_order(order)

    assert (entry.kind, entry.amount_micros, entry.order_id) == ("charge", -278_190, order.pk)
    assert entry.balance_after_micros == to_micros("99.72181") == balance_of(customer)
    assert len(entries(customer)) == 2
    assert_wallet_equals_ledger(customer)


def test_charge_beyond_the_balance_raises_and_writes_nothing(db, service):
    user = make_user("0.05")
    order = unpaid_order(user, service, "0.09")

    with pytest.raises(InsufficientFunds):
        charge_order(order)

    assert balance_of(user) == to_micros("0.05")
    assert [e.kind for e in entries(user)] == ["deposit"]


def test_charge_of_exactly_the_balance_leaves_zero(db, service):
    user = make_user("0.09")

    charge_order(unpaid_order(user, service, "0.09"))

    assert balance_of(user) == 0
    assert_wallet_equals_ledger(user)


def test_a_second_charge_for_the_same_order_is_refused(customer, paid_order):
    with pytest.raises(AlreadySettled):
        charge_order(paid_order)

    assert balance_of(customer) == to_micros("99.91")
    assert [e.kind for e in entries(customer)] == ["deposit", "charge"]


def test_refund_writes_one_credit_entry_linked_to_the_order(customer, paid_order):
    entry = refund_order(paid_order, 45_000, "partial")

    assert (entry.kind, entry.amount_micros, entry.order_id) == ("refund", 45_000, paid_order.pk)
    assert balance_of(customer) == to_micros("99.955")
    assert_wallet_equals_ledger(customer)


def test_a_second_refund_for_the_same_order_is_refused_and_moves_no_money(customer, paid_order):
    refund_order(paid_order, 45_000)

    with pytest.raises(AlreadySettled):
        refund_order(paid_order, 45_000)

    assert balance_of(customer) == to_micros("99.955")
    assert [e.kind for e in entries(customer)] == ["deposit", "charge", "refund"]
    assert_wallet_equals_ledger(customer)


def test_a_negative_refund_is_refused(customer, paid_order):
    with pytest.raises(ValueError):
        refund_order(paid_order, -1)
    assert len(entries(customer)) == 2


def test_adjustment_may_credit_or_debit_and_keeps_reason_and_author(customer):
    staff = make_user(role="staff")

    credit = adjust(customer, 1_000_000, memo="goodwill", created_by=staff)
    debit = adjust(customer, -150_000_000, memo="double deposit reversed", created_by=staff)

    assert (credit.kind, credit.amount_micros, credit.created_by) == ("adjustment", 10**6, staff)
    assert (debit.amount_micros, debit.memo) == (-150_000_000, "double deposit reversed")
    assert balance_of(customer) == to_micros("-49")  # staff corrections may go below zero
    assert_wallet_equals_ledger(customer)


def test_adjustment_without_a_reason_is_refused(customer):
    with pytest.raises(ValueError):
        adjust(customer, 1_000_000, memo="", created_by=None)
    assert len(entries(customer)) == 1


def test_chargeback_debits_even_below_zero(customer):
    entry = record_chargeback(customer, to_micros("150"), memo="bank dispute")

    assert (entry.kind, entry.amount_micros) == ("chargeback", -150_000_000)
    assert balance_of(customer) == to_micros("-50")
    assert_wallet_equals_ledger(customer)


@pytest.mark.parametrize("amount", [0, -5])
def test_chargeback_amount_must_be_positive(customer, amount):
    with pytest.raises(ValueError):
        record_chargeback(customer, amount, memo="x")
    assert len(entries(customer)) == 1


def test_a_movement_for_a_user_without_a_wallet_is_refused(customer):
    Wallet.objects.filter(user=customer).delete()

    with pytest.raises(Wallet.DoesNotExist):
        deposit(customer, 1)


def test_a_charge_does_not_go_through_when_the_balance_is_negative(customer, service):
    record_chargeback(customer, to_micros("150"), memo="bank dispute")

    with pytest.raises(InsufficientFunds):
        charge_order(unpaid_order(customer, service, "0.01"))

    assert balance_of(customer) == to_micros("-50")


# --- append-only --------------------------------------------------------------------------


def test_a_saved_entry_cannot_be_changed(customer):
    entry = entries(customer)[0]
    entry.amount_micros = 1

    with pytest.raises(ValueError, match="append-only"):
        entry.save()

    assert LedgerEntry.objects.get(pk=entry.pk).amount_micros == to_micros("100")


def test_an_entry_cannot_be_deleted(customer):
    entry = entries(customer)[0]

    with pytest.raises(ValueError, match="append-only"):
        entry.delete()

    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


# --- the invariant under any sequence -----------------------------------------------------

movements = st.lists(
    st.tuples(
        st.sampled_from(["deposit", "adjust", "chargeback", "charge", "refund"]),
        st.integers(min_value=1, max_value=200_000_000),
    ),
    max_size=15,
)


@db_examples
@given(movements)
def test_any_sequence_of_movements_keeps_wallet_equal_to_the_ledger(db, steps):
    with transaction.atomic():
        user = make_user()
        service = make_service()
        orders: list[Order] = []
        for kind, amount in steps:
            try:
                if kind == "deposit":
                    deposit(user, amount)
                elif kind == "adjust":
                    adjust(user, amount if amount % 2 else -amount, memo="fix", created_by=None)
                elif kind == "chargeback":
                    record_chargeback(user, amount, memo="dispute")
                elif kind == "charge":
                    order = unpaid_order(user, service, "0.000001")
                    Order.objects.filter(pk=order.pk).update(charge_micros=amount)
                    order.charge_micros = amount
                    charge_order(order)
                    orders.append(order)
                elif orders:
                    refund_order(orders[amount % len(orders)], amount % 1000)
            except (InsufficientFunds, AlreadySettled):
                pass

        running = 0
        for entry in entries(user):
            running += entry.amount_micros
            assert entry.balance_after_micros == running
        assert balance_of(user) == running
        assert ledger_mismatches() == []
        for order in orders:
            assert LedgerEntry.objects.filter(order=order, kind="refund").count() <= 1
        transaction.set_rollback(True)
