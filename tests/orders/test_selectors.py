"""Reads behind the customer order pages: keyset pages, filters, action rules."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from smmpanel.orders import selectors
from smmpanel.orders.models import Order, OrderStatus, Refill
from smmpanel.orders.services import complete_order, request_cancel, request_refill
from smmpanel.orders.state import transition
from tests.factories import make_order, make_service, make_user, post_link


def _ids(page) -> list[int]:
    return [row.order.pk for row in page.rows]


@pytest.fixture
def orders(customer, service):
    """Five orders of the customer, oldest first."""
    return [make_order(customer, service) for _ in range(5)]


def test_orders_page_lists_newest_first(customer, orders):
    page = selectors.orders_page(customer)
    assert _ids(page) == [o.pk for o in reversed(orders)]


def test_orders_page_gives_the_cursor_of_the_next_page(customer, orders):
    page = selectors.orders_page(customer, limit=2)
    assert _ids(page) == [orders[4].pk, orders[3].pk]
    assert page.next_before == orders[3].pk


def test_orders_page_continues_before_the_cursor_without_overlap(customer, orders):
    page = selectors.orders_page(customer, before=orders[3].pk, limit=2)
    assert _ids(page) == [orders[2].pk, orders[1].pk]


def test_the_last_page_has_no_next_cursor(customer, orders):
    page = selectors.orders_page(customer, before=orders[2].pk, limit=2)
    assert _ids(page) == [orders[1].pk, orders[0].pk] and page.next_before is None


def test_orders_page_leaves_out_other_users_orders(customer, service, orders):
    other = make_order(make_user("10"), service)
    assert other.pk not in _ids(selectors.orders_page(customer))


def test_orders_page_counts_nothing_and_reads_one_page(customer, orders):
    with CaptureQueriesContext(connection) as queries:
        selectors.orders_page(customer, status="completed", search="insta", limit=2)
    # (On PostgreSQL the read runs in a transaction planned for its values.)
    reads = [q["sql"].upper() for q in queries.captured_queries if "SELECT" in q["sql"].upper()]
    assert len(reads) == 1
    assert "COUNT(" not in reads[0] and "LIMIT 3" in reads[0]


@pytest.mark.parametrize(
    ("status", "index"), [("", "order_user_recent"), ("pending", "order_user_status")]
)
def test_orders_page_is_served_by_the_user_indexes(customer, orders, status, index):
    if connection.vendor != "sqlite":
        pytest.skip(
            "checks SQLite's EXPLAIN QUERY PLAN text; PostgreSQL's cost-based planner rightly "
            "prefers other plans on a test-sized table, so its plans are shown where they "
            "mean something: bench/explain_hot_queries.py on 10 million orders (README)"
        )
    query = selectors.Order.objects.filter(user=customer)
    if status:
        query = query.filter(status__in=selectors.STATUS_FILTERS[status])
    sql, params = query.order_by("-id")[:51].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert index in plan and "TEMP B-TREE" not in plan


def test_the_in_progress_filter_includes_processing(customer, orders):
    transition(orders[0], OrderStatus.IN_PROGRESS)
    transition(orders[1], OrderStatus.PROCESSING)
    page = selectors.orders_page(customer, status="in_progress")
    assert _ids(page) == [orders[1].pk, orders[0].pk]


def test_an_unknown_status_filter_shows_all(customer, orders):
    assert len(selectors.orders_page(customer, status="bogus").rows) == 5


def test_search_by_order_id(customer, orders):
    assert _ids(selectors.orders_page(customer, search=str(orders[2].pk))) == [orders[2].pk]


def test_search_by_order_id_with_a_hash(customer, orders):
    assert _ids(selectors.orders_page(customer, search=f"#{orders[2].pk}")) == [orders[2].pk]


def test_search_by_part_of_the_link(customer, service):
    wanted = make_order(customer, service, link="https://www.instagram.com/p/FindMe123/")
    make_order(customer, service)
    assert _ids(selectors.orders_page(customer, search="findme")) == [wanted.pk]


@pytest.mark.parametrize(
    "typed",
    [
        "http://INSTAGRAM.com/p/Same1?igsh=abc123",  # other scheme, case, tracking query
        "m.instagram.com/p/Same1/?utm_source=ig_web",  # no scheme, the mobile host
        "https://www.instagram.com/p/Same1",  # exact: that target, not Same12
    ],
    ids=["pasted", "no-scheme", "exact"],
)
def test_search_by_a_whole_link_finds_only_its_target_in_any_spelling(customer, service, typed):
    wanted = make_order(customer, service, link="https://www.instagram.com/p/Same1/")
    make_order(customer, service, link="https://www.instagram.com/p/Same12/")
    make_order(customer, service)
    assert _ids(selectors.orders_page(customer, search=typed)) == [wanted.pk]


def test_search_by_part_of_a_link_still_matches_every_link_holding_it(customer, service):
    first = make_order(customer, service, link="https://www.instagram.com/p/Same1/")
    second = make_order(customer, service, link="https://www.instagram.com/p/Same12/")
    make_order(customer, service, link="https://www.instagram.com/p/Other/")
    found = _ids(selectors.orders_page(customer, search="instagram.com/p/same1"))
    assert found == [second.pk, first.pk]


def test_search_by_a_pasted_link_leaves_out_other_users_orders(customer, service):
    make_order(make_user("10"), service, link="https://www.instagram.com/p/Same1/")
    pasted = "https://instagram.com/p/Same1"
    assert _ids(selectors.orders_page(customer, search=pasted)) == []


def test_refill_is_allowed_for_a_completed_order_within_the_period(customer, service):
    assert selectors.can_refill(complete_order(make_order(customer, service)))


def test_refill_is_not_allowed_before_completion(customer, service):
    assert not selectors.can_refill(make_order(customer, service))


def test_refill_is_not_allowed_after_the_period(customer, service):
    order = complete_order(make_order(customer, service))
    order.finished_at = timezone.now() - timedelta(days=service.refill_days + 1)
    assert not selectors.can_refill(order)


def test_refill_is_not_allowed_for_a_service_without_refill(customer):
    service = make_service(refill=False, refill_days=0)
    assert not selectors.can_refill(complete_order(make_order(customer, service)))


def test_cancel_is_allowed_for_a_pending_order_of_a_cancel_service(customer, service):
    assert selectors.can_cancel(make_order(customer, service))


def test_cancel_is_allowed_in_progress(customer, service):
    assert selectors.can_cancel(transition(make_order(customer, service), "in_progress"))


def test_cancel_is_not_allowed_once_completed(customer, service):
    assert not selectors.can_cancel(complete_order(make_order(customer, service)))


def test_cancel_is_not_allowed_for_a_service_without_cancel(customer):
    assert not selectors.can_cancel(make_order(customer, make_service(cancel=False)))


def test_cancel_is_not_offered_twice(customer, service):
    order = transition(make_order(customer, service), "in_progress")
    request_cancel(customer, order.pk)
    order.refresh_from_db()
    assert not selectors.can_cancel(order)


def test_live_rows_answer_only_the_users_own_orders(customer, service, orders):
    other = make_order(make_user("10"), service)
    ids = [str(orders[0].pk), str(other.pk), "junk", "-1"]
    assert [row.order.pk for row in selectors.live_rows(customer, ids)] == [orders[0].pk]


def test_live_rows_mark_finished_orders(customer, orders):
    complete_order(orders[0])
    rows = selectors.live_rows(customer, [str(orders[0].pk), str(orders[1].pk)])
    assert [row.unfinished for row in rows] == [True, False]


def test_order_for_hides_another_users_order(customer, service):
    order = make_order(make_user("10"), service)
    assert selectors.order_for(customer, order.pk) is None


def test_order_for_finds_the_users_own_order(customer, service):
    order = make_order(customer, service)
    assert selectors.order_for(customer, str(order.pk)) == order


def test_refills_page_is_keyset_paginated(customer, service):
    refills = []
    for _ in range(3):
        order = complete_order(make_order(customer, service))
        refills.append(request_refill(customer, order.pk))
    first = selectors.refills_page(customer, limit=2)
    second = selectors.refills_page(customer, before=first.next_before, limit=2)
    assert [r.pk for r in first.rows + second.rows] == [r.pk for r in reversed(refills)]
    assert second.next_before is None


def test_refills_page_leaves_out_other_users_refills(customer, service):
    other = make_user("10")
    request_refill(other, complete_order(make_order(other, service)).pk)
    assert selectors.refills_page(customer).rows == [] and Refill.objects.count() == 1


def test_parse_before_accepts_only_an_id():
    assert [selectors.parse_before(v) for v in ("12", "", "x", "-3", None)] == [
        12,
        None,
        None,
        None,
        None,
    ]


def test_orders_page_rows_carry_their_actions(customer, service):
    order = make_order(customer, service, link=post_link())
    row = selectors.orders_page(customer).rows[0]
    assert (row.order, row.can_cancel, row.can_refill, row.unfinished) == (
        order,
        True,
        False,
        True,
    )
    assert Order.objects.count() == 1


def test_the_timeline_names_each_state_change(customer, service):
    order = complete_order(make_order(customer, service))
    timeline = selectors.order_timeline(order)
    assert [(e.from_label, e.to_label) for e in timeline] == [
        ("", "Pending"),
        ("Pending", "Completed"),
    ]


def test_the_timeline_says_who_canceled(customer, service):
    order = make_order(customer, service)
    request_cancel(customer, order.pk)
    assert [e.by for e in selectors.order_timeline(order)] == ["", "customer"]


# --- orders_by_id: the API status read --------------------------------------------------


@pytest.mark.django_db
def test_orders_by_id_answers_only_the_callers_orders_keyed_as_asked():
    service = make_service()
    owner, other = make_user("100"), make_user("100")
    mine = make_order(owner, service)
    theirs = make_order(other, service)
    asked = [str(mine.pk), f"00{mine.pk}", str(theirs.pk), "999999999", "x1"]

    found = selectors.orders_by_id(owner, asked)

    assert set(found) == {str(mine.pk), f"00{mine.pk}"}
    row = found[str(mine.pk)]
    assert (row.id, row.status, row.charge_micros, row.remains, row.currency) == (
        mine.pk,
        mine.status,
        mine.charge_micros,
        mine.remains,
        mine.currency,
    )


@pytest.mark.django_db
def test_orders_by_id_reads_a_hundred_ids_in_one_statement():
    service = make_service()
    user = make_user("1000")
    placed = [make_order(user, service).pk for _ in range(100)]

    with CaptureQueriesContext(connection) as queries:
        found = selectors.orders_by_id(user, [str(pk) for pk in placed])

    assert sorted(row.id for row in found.values()) == sorted(placed)
    assert len(queries) == 1


@pytest.mark.django_db
def test_orders_by_id_with_no_id_that_is_a_number_reads_nothing():
    user = make_user("10")
    with CaptureQueriesContext(connection) as queries:
        assert selectors.orders_by_id(user, ["abc", "-1", "0x10"]) == {}
    assert len(queries) == 0


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's generic plans; SQLite has none"
)
@pytest.mark.django_db(transaction=True)
def test_orders_by_id_parses_the_id_list_once_even_where_the_plan_filters_each_row():
    service = make_service()
    user = make_user("1000")
    placed = [make_order(user, service).pk for _ in range(3)]
    sql, params = selectors._STATUS_ROWS.sql_with(user_id=user.pk, ids=",".join(map(str, placed)))
    with connection.cursor() as cursor:
        cursor.execute(
            "SET plan_cache_mode = force_generic_plan; SET enable_indexscan = off;"
            " SET enable_bitmapscan = off"
        )
        try:
            # A generic plan of a prepared statement: the parameters are not constants,
            # and a sequential scan makes the id list a per-row filter.
            numbered = iter(range(1, len(params) + 1))
            prepared = re.sub("%s", lambda _: f"${next(numbered)}", sql)
            types = ["text" if isinstance(value, str) else "bigint" for value in params]
            cursor.execute(f"PREPARE status_read ({', '.join(types)}) AS {prepared}")
            values = ", ".join(f"%s::{type_}" for type_ in types)
            # EXPLAIN takes no bound parameters: the values are written in.
            cursor.execute(
                connection.ops.compose_sql(f"EXPLAIN EXECUTE status_read({values})", params)
            )
            plan = [line for (line,) in cursor.fetchall()]
        finally:
            cursor.execute("DEALLOCATE ALL; RESET ALL")
    filters = [line for line in plan if "Filter:" in line]
    assert filters, plan
    assert not any("string_to_array" in line for line in filters), plan
