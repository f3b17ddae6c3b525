"""Hot-path statements compiled once (``smmpanel.compiled_sql``) answer exactly as the ORM
does for the same queryset: the same rows and related objects, each call with its own
values, compiled only on first use.
"""

import threading
import time
from datetime import UTC, datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from smmpanel.accounts.models import ApiKey
from smmpanel.accounts.selectors import api_key_for
from smmpanel.audit.models import Decision
from smmpanel.catalog.links import canonicalise
from smmpanel.catalog.models import CustomRate
from smmpanel.catalog.selectors import rate_for
from smmpanel.catalog.services import set_custom_rate
from smmpanel.compiled_sql import CompiledQuery
from smmpanel.orders.models import Order, OrderStatus
from smmpanel.orders.order_input import check_order
from smmpanel.orders.services import account_standing
from smmpanel.policy import refusal_history, rulebook
from smmpanel.policy.link_checkers import known_targets
from smmpanel.policy.models import KnownTarget, Outcome
from tests.factories import make_key, make_order, make_service, make_user, post_link

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)


def fields_of(obj) -> dict:
    """Every stored column of ``obj`` by attribute name, as Python values."""
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def orders_of_user() -> CompiledQuery:
    return CompiledQuery(lambda user_id: Order.objects.filter(user_id=user_id), user_id=int)


def refusals_since(user, since: datetime) -> int | None:
    """The policy's own compiled count of refusals at order placing from ``since`` on."""
    point = rulebook.ORDER_PLACE
    return refusal_history.REFUSALS_SINCE.scalar(user_id=user.pk, point=point, since=since)


def decision_at(monkeypatch, when: datetime, user, **fields) -> Decision:
    """A refusal recorded at ``when`` (``created_at`` is ``auto_now_add``)."""
    values = {"point": rulebook.ORDER_PLACE, "rule_code": "link.private", "outcome": "reject"}
    with monkeypatch.context() as clock:
        clock.setattr(timezone, "now", lambda: when)
        return Decision.objects.create(user=user, **(values | fields))


# --- CompiledQuery: the rows -------------------------------------------------------------


def test_model_rows_equal_what_the_orm_returns_for_the_same_queryset(customer, service):
    make_order(customer, service)
    make_order(customer, service)

    rows = orders_of_user().all(user_id=customer.pk)

    expected = list(Order.objects.filter(user_id=customer.pk))
    assert [fields_of(o) for o in rows] == [fields_of(o) for o in expected]
    assert len(rows) == 2


def test_model_rows_come_back_as_saved_instances_of_the_database(customer, service):
    make_order(customer, service)

    (order,) = orders_of_user().all(user_id=customer.pk)

    assert isinstance(order, Order)
    assert order._state.adding is False
    assert order._state.db == "default"


def test_api_key_for_returns_the_key_its_user_and_wallet_as_the_orm_reads_them(customer):
    plaintext = make_key(customer)

    key = api_key_for(plaintext)

    expected = ApiKey.objects.select_related("user", "user__wallet").get(user=customer)
    assert fields_of(key) == fields_of(expected)
    assert fields_of(key.user) == fields_of(expected.user)
    assert fields_of(key.user.wallet) == fields_of(expected.user.wallet)


def test_select_related_objects_are_loaded_with_the_row(customer, django_assert_num_queries):
    plaintext = make_key(customer)
    balance = customer.wallet.balance_micros

    key = api_key_for(plaintext)

    with django_assert_num_queries(0):
        assert key.user.pk == customer.pk
        assert key.user.wallet.balance_micros == balance


def test_select_related_of_a_compiled_model_query_needs_no_further_query(
    customer, service, django_assert_num_queries
):
    make_order(customer, service)
    query = CompiledQuery(
        lambda user_id: Order.objects.select_related("user", "service").filter(user_id=user_id),
        user_id=int,
    )

    (order,) = query.all(user_id=customer.pk)

    with django_assert_num_queries(0):
        assert order.user.email == customer.email
        assert order.service.name == service.name


def test_datetime_fields_come_back_as_timezone_aware_datetimes(customer, service):
    make_order(customer, service)

    (order,) = orders_of_user().all(user_id=customer.pk)

    assert isinstance(order.created_at, datetime)
    assert timezone.is_aware(order.created_at)
    assert order.created_at == Order.objects.get(pk=order.pk).created_at


def test_values_list_rows_come_back_as_the_orm_tuples(customer, service):
    make_order(customer, service)
    make_order(customer, service)
    query = CompiledQuery(
        lambda user_id: Order.objects.filter(user_id=user_id).values_list("pk", "status"),
        user_id=int,
    )

    rows = query.all(user_id=customer.pk)

    assert rows == list(Order.objects.filter(user_id=customer.pk).values_list("pk", "status"))


def test_scalar_is_the_first_column_of_the_first_row(customer, service):
    make_order(customer, service)
    newest = make_order(customer, service)  # the first row: orders are newest first
    query = CompiledQuery(
        lambda user_id: Order.objects.filter(user_id=user_id).values_list("pk", "status")[:1],
        user_id=int,
    )

    assert query.scalar(user_id=customer.pk) == newest.pk


# --- CompiledQuery: each call binds its own values ---------------------------------------


def test_each_call_binds_its_own_values(service):
    first, second = make_user("100"), make_user("100")
    one, other = make_order(first, service), make_order(second, service)
    query = orders_of_user()

    assert [o.pk for o in query.all(user_id=first.pk)] == [one.pk]
    assert [o.pk for o in query.all(user_id=second.pk)] == [other.pk]
    assert query.first(user_id=first.pk).pk == one.pk


def test_a_value_matching_nothing_gives_none_an_empty_list_and_no_scalar(customer, service):
    make_order(customer, service)
    query = CompiledQuery(
        lambda user_id: Order.objects.filter(user_id=user_id).values_list("pk"), user_id=int
    )
    nobody = customer.pk + 1000

    assert query.all(user_id=nobody) == []
    assert query.first(user_id=nobody) is None
    assert query.scalar(user_id=nobody) is None


def test_a_parameter_used_twice_is_bound_in_both_places(customer, service):
    staff = make_user()
    set_custom_rate(customer, service, rate_micros=500_000, created_by=staff)
    set_custom_rate(staff, None, discount_bp=100)
    query = CompiledQuery(
        lambda user_id: (
            CustomRate.objects.filter(Q(user_id=user_id) | Q(created_by_id=user_id))
            .order_by("pk")
            .values_list("user_id")
        ),
        user_id=int,
    )

    assert query.all(user_id=staff.pk) == [(customer.pk,), (staff.pk,)]
    assert query.all(user_id=customer.pk) == [(customer.pk,)]


def test_a_text_value_is_bound_as_a_value_not_written_into_the_sql(customer):
    make_key(customer)
    stored = ApiKey.objects.get(user=customer).key_hash
    query = CompiledQuery(lambda digest: ApiKey.objects.filter(key_hash=digest), digest=str)

    assert query.first(digest=stored).user_id == customer.pk
    assert query.first(digest="x' OR '1'='1") is None
    assert query.first(digest=f"{stored}' --") is None  # would match if pasted into the SQL


# --- CompiledQuery: compiled once ---------------------------------------------------------


def test_nothing_is_compiled_before_first_use():
    built = []
    CompiledQuery(lambda user_id: built.append(user_id) or Order.objects.all(), user_id=int)

    assert built == []


def test_the_sql_is_compiled_on_first_use_and_not_again(customer, service):
    make_order(customer, service)
    built = []

    def build(user_id):
        built.append(user_id)
        return Order.objects.filter(user_id=user_id)

    query = CompiledQuery(build, user_id=int)
    query.all(user_id=customer.pk)
    query.first(user_id=customer.pk + 1)
    query.all(user_id=customer.pk)

    assert len(built) == 1


def test_threads_using_it_first_at_the_same_moment_compile_it_once():
    built = []

    def build(user_id):
        built.append(user_id)
        time.sleep(0.05)  # widen the window in which another thread could start too
        return Order.objects.filter(user_id=user_id)

    query = CompiledQuery(build, user_id=int)
    start = threading.Barrier(6, timeout=30)
    results = []

    def first_use():
        start.wait()
        results.append(query._compile())

    threads = [threading.Thread(target=first_use) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(t.is_alive() for t in threads)
    assert len(built) == 1
    assert len(results) == 6 and all(r is results[0] for r in results)


# --- CompiledQuery: datetime parameters ----------------------------------------------------


def test_a_datetime_parameter_counts_rows_from_since_on_and_not_before(monkeypatch, customer):
    decision_at(monkeypatch, T0 - timedelta(hours=2), customer)
    decision_at(monkeypatch, T0 - timedelta(minutes=1), customer)
    decision_at(monkeypatch, T0 + timedelta(minutes=1), customer)
    since = T0 - timedelta(hours=1)

    count = refusals_since(customer, since)

    assert count == 2
    assert count == Decision.objects.filter(user=customer, created_at__gte=since).count()


def test_a_row_at_exactly_since_counts_and_one_microsecond_later_it_does_not(monkeypatch, customer):
    decision_at(monkeypatch, T0, customer)

    assert refusals_since(customer, T0) == 1
    assert refusals_since(customer, T0 - timedelta(microseconds=1)) == 1
    assert refusals_since(customer, T0 + timedelta(microseconds=1)) is None


def test_a_since_given_in_another_time_zone_means_the_same_instant(monkeypatch, customer):
    decision_at(monkeypatch, T0, customer)
    kyiv_summer = dt_timezone(timedelta(hours=3))

    assert refusals_since(customer, T0.astimezone(kyiv_summer)) == 1
    just_after = (T0 + timedelta(seconds=1)).astimezone(kyiv_summer)
    assert refusals_since(customer, just_after) is None


def test_the_gates_count_enforced_refusals_in_the_window_only(monkeypatch, customer):
    now = timezone.now()
    decision_at(monkeypatch, now - timedelta(hours=3), customer)  # before the window
    decision_at(monkeypatch, now - timedelta(minutes=5), customer)
    decision_at(monkeypatch, now - timedelta(minutes=4), customer, outcome=Outcome.LIMIT)
    decision_at(monkeypatch, now - timedelta(minutes=3), customer, enforced=False)  # shadow
    decision_at(monkeypatch, now - timedelta(minutes=2), customer, outcome=Outcome.REVIEW)
    decision_at(monkeypatch, now - timedelta(minutes=1), customer, rule_code="balance.review")
    decision_at(monkeypatch, now - timedelta(minutes=1), customer, point=rulebook.ORDER_REFILL)
    decision_at(monkeypatch, now - timedelta(minutes=1), make_user())  # someone else

    assert refusal_history.count_refusals(customer, rulebook.ORDER_PLACE, minutes=60) == 2
    assert refusal_history.count_refusals(customer, rulebook.ORDER_REFILL, minutes=60) == 1
    assert refusal_history.count_refusals(make_user(), rulebook.ORDER_PLACE, minutes=60) == 0


# --- CompiledQuery: parameters it cannot bind ------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [{}, {"user": 1}, {"user_id": 1, "service_id": 2}],
    ids=["missing", "misspelt", "extra"],
)
def test_wrong_parameter_names_raise_type_error(values):
    with pytest.raises(TypeError, match="expected parameters"):
        orders_of_user().all(**values)


def test_a_parameter_used_only_in_a_slice_raises_value_error_at_first_use():
    query = CompiledQuery(lambda n: Order.objects.all()[:n], n=int)

    with pytest.raises(ValueError, match=r"\['n'\] do not reach the SQL"):
        query.all(n=3)


def test_a_parameter_the_builder_ignores_raises_value_error_at_first_use():
    query = CompiledQuery(
        lambda user_id, status: Order.objects.filter(user_id=user_id), user_id=int, status=str
    )

    with pytest.raises(ValueError, match=r"\['status'\] do not reach the SQL"):
        query.first(user_id=1, status="pending")


def test_a_parameter_changed_by_its_lookup_raises_value_error_at_first_use():
    query = CompiledQuery(lambda part: Order.objects.filter(link__contains=part), part=str)

    with pytest.raises(ValueError, match=r"\['part'\] do not reach the SQL"):
        query.all(part="Post")


def test_a_parameter_type_without_a_marker_raises_type_error_at_first_use():
    query = CompiledQuery(lambda rate: Order.objects.filter(charge_micros=rate), rate=float)

    with pytest.raises(TypeError, match="no marker"):
        query.all(rate=1.0)


def test_a_case_insensitive_match_never_takes_underscore_as_a_wildcard():
    # SQLite escapes an ``iexact`` value for LIKE; real values bound in the marker's
    # place would not be, so "_" would match any character: refused there at first use.
    # PostgreSQL compares UPPER()s, with the value as it is.
    for key in ("a_c", "abc"):
        KnownTarget.objects.create(canonical_link=f"https://x/{key}", link_key=key, state="private")
    query = CompiledQuery(
        lambda key: (
            KnownTarget.objects.filter(link_key__iexact=key).order_by("pk").values_list("link_key")
        ),
        key=str,
    )

    if connection.vendor == "sqlite":
        with pytest.raises(ValueError, match="do not reach the SQL"):
            query.all(key="A_C")
    else:
        assert query.all(key="A_C") == [("a_c",)]


def test_an_int_parameter_compared_with_a_32_bit_integer_column_is_bound(customer, service):
    make_order(customer, service, quantity=100)
    make_order(customer, service, quantity=200)
    query = CompiledQuery(
        lambda quantity: Order.objects.filter(quantity=quantity).values_list("quantity"),
        quantity=int,
    )

    assert query.all(quantity=200) == [(200,)]


def test_annotations_of_a_model_query_are_set_on_its_rows_as_the_orm_sets_them(customer, service):
    order = make_order(customer, service)
    query = CompiledQuery(
        lambda user_id: Order.objects.filter(user_id=user_id).annotate(n_events=Count("events")),
        user_id=int,
    )

    (row,) = query.all(user_id=customer.pk)

    expected = Order.objects.annotate(n_events=Count("events")).get(pk=order.pk)
    assert row.n_events == expected.n_events == 1


# --- the hot paths built on it --------------------------------------------------------------


def test_rate_for_a_user_without_rules_is_the_list_rate(customer, service):
    assert rate_for(customer, service) == service.rate_micros


def test_rate_for_a_user_with_a_discount_for_every_service(customer, service):
    set_custom_rate(customer, None, discount_bp=1000)

    assert rate_for(customer, service) == 810_000


def test_rate_for_a_user_with_an_own_rate_for_the_service_wins_over_the_discount(customer, service):
    set_custom_rate(customer, None, discount_bp=1000)
    set_custom_rate(customer, service, rate_micros=500_000)

    assert rate_for(customer, service) == 500_000


def test_rate_for_ignores_other_users_rules_and_other_services_rules(customer, service):
    other_service = make_service()
    set_custom_rate(customer, other_service, rate_micros=100_000)
    set_custom_rate(make_user(), service, rate_micros=200_000)
    set_custom_rate(make_user(), None, discount_bp=5000)

    assert rate_for(customer, service) == service.rate_micros
    assert rate_for(customer, other_service) == 100_000


def checked_for(user, service, link):
    return check_order(service, {"link": link, "quantity": 100}, user)


def _has_active_order(user, service, checked) -> bool:
    return account_standing(user, service, checked).active_order


def test_an_active_order_on_the_same_target_is_found(customer, service):
    link = post_link()
    make_order(customer, service, link)
    checked = checked_for(customer, service, link)

    assert _has_active_order(customer, service, checked) is True


def test_no_active_order_is_found_on_another_target_or_for_another_user(customer, service):
    link = post_link()
    make_order(customer, service, link)
    elsewhere = checked_for(customer, service, post_link())
    someone = make_user("100")

    assert _has_active_order(customer, service, elsewhere) is False
    assert _has_active_order(someone, service, checked_for(someone, service, link)) is False


def test_a_finished_order_is_not_an_active_order(customer, service):
    link = post_link()
    order = make_order(customer, service, link)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.COMPLETED)
    checked = checked_for(customer, service, link)

    assert _has_active_order(customer, service, checked) is False


def test_a_target_recorded_as_not_public_is_found_by_its_key():
    private = canonicalise(post_link())
    KnownTarget.objects.create(canonical_link=private.url, link_key=private.key, state="private")

    assert known_targets(private, service=None) == "private"
    assert known_targets(canonicalise(post_link()), service=None) is None
