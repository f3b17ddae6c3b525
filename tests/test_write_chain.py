"""``WriteChain`` writes a first write and the inserts that take values from it as one
statement on PostgreSQL and one by one elsewhere, all or nothing either way, and its
rows read back equal to the instances it returns."""

import pytest
from django.db import IntegrityError, connection, transaction

from smmpanel.billing.models import LedgerEntry, Wallet
from smmpanel.compiled_sql import RowInsert
from smmpanel.orders.models import Order, OrderEvent
from smmpanel.write_chain import Taken, WriteChain
from tests.factories import make_order, make_user
from tests.test_compiled_sql import fields_of, order_values

pytestmark = pytest.mark.django_db

ENTRY, ORDER, EVENT = RowInsert(LedgerEntry), RowInsert(Order), RowInsert(OrderEvent)
DEBIT = (
    "UPDATE billing_wallet SET balance_micros = balance_micros - %s "
    "WHERE user_id = %s AND balance_micros >= %s RETURNING balance_micros"
)
only_on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: SQLite has no writes in WITH"
)
only_elsewhere = pytest.mark.skipif(
    connection.vendor == "postgresql",
    reason="the one-by-one writes of databases without writes in WITH; on PostgreSQL the "
    "chain is one statement, its own transaction (the only_on_postgresql tests)",
)


def debit_chain(user, micros: int, **entry) -> WriteChain:
    """A conditional wallet debit (nothing when short) and a ledger entry with the
    balance it left."""
    values = {"user": user, "kind": "adjustment", "amount_micros": -micros} | entry
    return (
        WriteChain()
        .write("debit", DEBIT, [micros, user.pk, micros])
        .insert("entry", ENTRY, values, balance_after_micros=Taken("debit", "balance_micros"))
    )


def order_chain(user, service, micros: int = 90_000) -> WriteChain:
    """A debit, an order paid by it, the order's event and the debit's entry."""
    return (
        debit_chain(user, micros)
        .insert("order", ORDER, order_values(user, service))
        .insert("event", EVENT, {"to_status": "pending"}, order_id=Taken("order", "id"))
    )


def balance_of(user) -> int:
    return Wallet.objects.get(user=user).balance_micros


def counts() -> tuple[int, int, int]:
    return LedgerEntry.objects.count(), Order.objects.count(), OrderEvent.objects.count()


def test_an_insert_takes_the_value_the_first_write_returned(customer):
    start = balance_of(customer)

    with transaction.atomic():
        written = debit_chain(customer, 300).run()

    entry = written["entry"]
    assert entry.balance_after_micros == start - 300 == balance_of(customer)
    assert written["debit"] == {"balance_micros": start - 300}
    assert fields_of(LedgerEntry.objects.get(pk=entry.pk)) == fields_of(entry)
    assert entry._state.adding is False


def test_nothing_is_written_and_run_returns_none_when_the_first_write_matched_no_row(
    customer, service
):
    start, before = balance_of(customer), counts()

    with transaction.atomic():
        assert order_chain(customer, service, micros=start + 1).run() is None

    assert (balance_of(customer), counts()) == (start, before)


def test_every_insert_reads_back_equal_to_the_instance_returned(customer, service):
    with transaction.atomic():
        written = order_chain(customer, service).run()

    order, event = written["order"], written["event"]
    assert fields_of(Order.objects.get(pk=order.pk)) == fields_of(order)
    assert fields_of(OrderEvent.objects.get(pk=event.pk)) == fields_of(event)
    assert event.order_id == order.pk
    assert list(order.events.values_list("pk", flat=True)) == [event.pk]


def test_a_chain_started_by_an_insert_writes_a_child_pointing_at_it(customer, service):
    with transaction.atomic():
        written = (
            WriteChain()
            .insert("order", ORDER, order_values(customer, service, runs=2, interval=5))
            .insert("event", EVENT, {"to_status": "pending"}, order_id=Taken("order", "id"))
            .run()
        )

    order = written["order"]
    assert fields_of(Order.objects.get(pk=order.pk)) == fields_of(order)
    assert list(order.events.values_list("to_status", flat=True)) == ["pending"]


def test_a_taken_value_is_written_into_its_template(customer, service):
    with transaction.atomic():
        written = (
            WriteChain()
            .write("debit", DEBIT, [1, customer.pk, 1])
            .insert("order", ORDER, order_values(customer, service))
            .insert(
                "entry",
                ENTRY,
                {"user": customer, "kind": "charge", "amount_micros": -1},
                order_id=Taken("order", "id"),
                memo=Taken("order", "id", "order {} (paid)"),
                balance_after_micros=Taken("debit", "balance_micros"),
            )
            .run()
        )

    order, entry = written["order"], written["entry"]
    assert entry.memo == f"order {order.pk} (paid)"
    assert LedgerEntry.objects.get(pk=entry.pk).memo == entry.memo


def test_an_error_in_a_later_insert_leaves_none_of_the_writes(customer, service):
    order = make_order(customer, service)  # has its one charge already
    start, before = balance_of(customer), counts()

    with pytest.raises(IntegrityError), transaction.atomic():
        debit_chain(customer, 100, order=order, kind="charge").run()  # a second charge

    assert (balance_of(customer), counts()) == (start, before)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_an_error_in_a_later_insert_leaves_none_of_the_writes(service):
    customer = make_user("100")
    order = make_order(customer, service)
    start, before = balance_of(customer), counts()
    chain = debit_chain(customer, 100, order=order, kind="charge")

    with pytest.raises(IntegrityError), chain.atomic():
        chain.run()

    assert (balance_of(customer), counts()) == (start, before)


@only_on_postgresql
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_outside_a_transaction_the_chain_opens_none(
    service, django_assert_num_queries
):
    customer = make_user("100")
    chain = order_chain(customer, service)

    # No BEGIN and COMMIT around it: the one statement is its own transaction.
    with django_assert_num_queries(1), chain.atomic():
        chain.run()
    assert not connection.in_atomic_block


@only_on_postgresql
def test_on_postgresql_the_whole_chain_is_one_statement(
    customer, service, django_assert_num_queries
):
    with django_assert_num_queries(1), transaction.atomic(savepoint=False):
        order_chain(customer, service).run()


@only_elsewhere
def test_elsewhere_each_write_is_a_statement_of_its_own(
    customer, service, django_assert_num_queries
):
    with django_assert_num_queries(4), transaction.atomic(savepoint=False):
        order_chain(customer, service).run()


def test_an_insert_refuses_to_take_a_field_its_model_does_not_have(customer):
    with pytest.raises(ValueError, match="no fields"):
        WriteChain().write("debit", DEBIT, []).insert(
            "entry", ENTRY, {}, nonsense=Taken("debit", "balance_micros")
        )


def test_an_insert_can_take_only_from_an_earlier_step(customer):
    with pytest.raises(ValueError, match="no earlier step"):
        WriteChain().write("debit", DEBIT, []).insert(
            "entry", ENTRY, {}, order_id=Taken("order", "id")
        )


def test_only_the_primary_key_of_an_earlier_insert_can_be_taken(customer, service):
    chain = WriteChain().insert("order", ORDER, order_values(customer, service))

    with pytest.raises(ValueError, match="primary key"):
        chain.insert("event", EVENT, {}, note=Taken("order", "link"))


def test_a_raw_write_can_only_start_a_chain(customer, service):
    chain = WriteChain().insert("order", ORDER, order_values(customer, service))

    with pytest.raises(ValueError, match="start"):
        chain.write("debit", DEBIT, [])


def test_two_steps_cannot_share_a_name(customer, service):
    chain = WriteChain().insert("order", ORDER, order_values(customer, service))

    with pytest.raises(ValueError, match="already named"):
        chain.insert("order", ORDER, order_values(customer, service))


@pytest.mark.parametrize("template", ["order", "order {} {}", "{{}} {}", "order {} }", ""])
def test_a_template_holds_exactly_one_placeholder_and_no_other_brace(template):
    with pytest.raises(ValueError, match="template"):
        Taken("order", "id", template)


@only_elsewhere
@pytest.mark.django_db(transaction=True)
def test_elsewhere_a_chain_outside_a_transaction_is_refused_before_writing(service):
    customer = make_user("100")
    start, before = balance_of(customer), counts()

    with pytest.raises(RuntimeError, match="transaction"):
        order_chain(customer, service).run()

    assert (balance_of(customer), counts()) == (start, before)
