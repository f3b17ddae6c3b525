"""The API v2 contract (issue 2): every row of the table, for form POST, JSON body POST and
GET query encodings, against a real HTTP server.

Shapes are checked exactly, because resellers' software parses them: ids and booleans
where clients expect them, strings everywhere else, and a success never carries an
``error`` key at all.
"""

import logging

import pytest

from smmpanel.billing.selectors import balance_of
from smmpanel.money import to_micros
from smmpanel.orders.models import Order, OrderStatus, Refill, RefillStatus
from smmpanel.orders.services import (
    ACTIVE_ORDER_EXISTS,
    cancel_and_refund,
    complete_order,
    refund_remains,
    request_refill,
)
from smmpanel.orders.state import transition
from tests.factories import make_key, make_order, make_service, make_user, post_link

ENCODINGS = ("form", "json", "query")
SERVICE_KEYS = {"service", "name", "type", "category", "rate", "min", "max", "refill", "cancel"}
STATUS_KEYS = {"charge", "start_count", "status", "remains", "currency"}
LEGACY_UA = "Mozilla/4.0 (compatible; MSIE 5.01; Windows NT 5.0)"


@pytest.fixture(params=ENCODINGS)
def encoding(request):
    return request.param


@pytest.fixture
def me(api_customer):
    return api_customer[0]


@pytest.fixture
def call(api, api_customer, encoding):
    """``call(action, **params)`` as the API customer, in the parametrized encoding."""
    _, my_key = api_customer

    def _call(action, *, key=my_key, **params):
        return api(key, action, encoding=encoding, **params)

    return _call


@pytest.fixture
def stranger(service):
    """Another customer with an order and a refill of their own."""
    user = make_user("100")
    order = complete_order(make_order(user, service))
    return user, order, request_refill(user, order.pk)


def assert_success(answer):
    assert isinstance(answer, (dict, list))
    if isinstance(answer, dict):
        assert "error" not in answer


def assert_error(answer, message=None):
    assert isinstance(answer, dict) and set(answer) == {"error"}
    assert isinstance(answer["error"], str) and answer["error"]
    if message is not None:
        assert answer["error"] == message


# --- services -----------------------------------------------------------------------------


def test_services_lists_every_active_service_with_the_de_facto_types(call, service):
    answer = call("services")

    assert_success(answer)
    assert isinstance(answer, list)
    (row,) = [r for r in answer if r["service"] == service.pk]
    assert SERVICE_KEYS <= set(row) <= SERVICE_KEYS | {"dripfeed"}
    assert row == {
        "service": service.pk,
        "name": service.name,
        "type": "Default",
        "category": "Likes",
        "rate": "0.90",
        "min": "50",
        "max": "10000",
        "refill": True,
        "cancel": True,
        "dripfeed": False,
    }


def test_services_rows_have_int_ids_string_numbers_and_bool_flags(call, service):
    make_service(type="package", min_quantity=1, max_quantity=1, refill=False, cancel=False)
    make_service(type="custom comments", rate_micros=to_micros("12.5"), min_quantity=1)

    answer = call("services")

    assert len(answer) == 3
    for row in answer:
        assert type(row["service"]) is int
        assert all(type(row[k]) is str for k in ("name", "type", "category", "rate", "min", "max"))
        assert type(row["refill"]) is bool and type(row["cancel"]) is bool
    assert {r["type"] for r in answer} == {"Default", "Package", "Custom Comments"}
    assert "12.50" in {r["rate"] for r in answer}


def test_services_leaves_out_inactive_services(call, service):
    hidden = make_service(active=False)

    ids = {row["service"] for row in call("services")}

    assert service.pk in ids and hidden.pk not in ids


# --- add ----------------------------------------------------------------------------------


def test_add_default_returns_the_new_order_id_and_charges_rate_times_quantity(call, me, service):
    answer = call("add", service=service.pk, link=post_link(), quantity=100)

    assert set(answer) == {"order"} and type(answer["order"]) is int
    order = Order.objects.get(pk=answer["order"], user=me)
    assert (order.quantity, order.charge_micros, order.status) == (100, 90_000, "pending")
    assert balance_of(me) == to_micros("100") - 90_000


def test_add_package_needs_only_a_link_and_charges_the_package_rate(call, me):
    package = make_service(
        type="package", rate_micros=to_micros("3.50"), min_quantity=1, max_quantity=1
    )

    answer = call("add", service=package.pk, link=post_link())

    order = Order.objects.get(pk=answer["order"])
    assert (order.quantity, order.charge_micros) == (1, to_micros("3.50"))
    assert balance_of(me) == to_micros("96.50")


def test_add_custom_comments_counts_one_unit_per_non_empty_line(call, me):
    comments = make_service(
        type="custom comments", rate_micros=to_micros("12.00"), min_quantity=1, max_quantity=100
    )

    answer = call("add", service=comments.pk, link=post_link(), comments="Nice!\nGreat\n\n Wow \n")

    order = Order.objects.get(pk=answer["order"])
    assert order.quantity == 3
    assert order.params["comments"] == "Nice!\nGreat\nWow"
    assert order.charge_micros == to_micros("0.036")  # 12.00 × 3 / 1000


def test_add_custom_comments_ignores_a_quantity_that_disagrees_with_the_lines(call):
    comments = make_service(type="custom comments", min_quantity=1, max_quantity=100)

    answer = call("add", service=comments.pk, link=post_link(), comments="a\nb", quantity=50)

    assert Order.objects.get(pk=answer["order"]).quantity == 2


def test_add_custom_comments_applies_the_limits_to_the_line_count(call, me, nothing_written):
    comments = make_service(type="custom comments", min_quantity=1, max_quantity=2)

    with nothing_written(me):
        answer = call("add", service=comments.pk, link=post_link(), comments="a\nb\nc")

    assert_error(answer, "Quantity more than maximum 2")


def test_add_mentions_custom_list_counts_one_unit_per_username(call):
    mentions = make_service(
        type="mentions custom list",
        rate_micros=to_micros("8.00"),
        min_quantity=1,
        max_quantity=1000,
    )

    answer = call("add", service=mentions.pk, link=post_link(), usernames="alice\nbob\ncarol")

    order = Order.objects.get(pk=answer["order"])
    assert order.quantity == 3
    assert order.params["usernames"] == "alice\nbob\ncarol"
    assert order.charge_micros == to_micros("0.024")


def test_add_mentions_custom_list_without_usernames_is_refused(call, me, nothing_written):
    mentions = make_service(type="mentions custom list", min_quantity=1)

    with nothing_written(me):
        answer = call("add", service=mentions.pk, link=post_link())

    assert_error(answer)
    assert "usernames" in answer["error"]


def test_add_poll_records_the_answer_number(call):
    poll = make_service(type="poll", link_format="telegram_post", platform="Telegram")

    answer = call(
        "add", service=poll.pk, link="https://t.me/durov/123", quantity=100, answer_number=2
    )

    order = Order.objects.get(pk=answer["order"])
    assert (order.quantity, order.params) == (100, {"answer_number": "2"})


def test_add_poll_without_a_valid_answer_number_is_refused(call, me, nothing_written, subtests):
    poll = make_service(type="poll", link_format="telegram_post", platform="Telegram")

    for answer_number in (None, "", "two", "-1", "0"):
        with subtests.test(answer_number=answer_number), nothing_written(me):
            extra = {} if answer_number is None else {"answer_number": answer_number}
            answer = call(
                "add", service=poll.pk, link="https://t.me/durov/1", quantity=100, **extra
            )
            assert_error(answer)
            assert "answer" in answer["error"].lower()


def test_add_subscriptions_takes_a_username_and_charges_max_times_posts(call, me):
    subs = make_service(
        type="subscriptions",
        rate_micros=to_micros("1.10"),
        link_format="instagram_profile",
        min_quantity=50,
        max_quantity=5000,
    )

    answer = call(
        "add",
        service=subs.pk,
        username="@natgeo",
        min=100,
        max=200,
        posts=5,
        delay=30,
        expiry="12/31/2030",
    )

    order = Order.objects.get(pk=answer["order"])
    assert order.quantity == 1000  # 200 per post × 5 posts
    assert order.charge_micros == to_micros("1.10")  # 1.10 × 1000 / 1000
    assert order.canonical_link == "https://instagram.com/natgeo"
    assert order.params["username"] == "@natgeo" and order.params["delay"] == "30"
    assert balance_of(me) == to_micros("98.90")


def test_add_drip_feed_charges_rate_times_quantity_times_runs(call, me):
    drip = make_service(dripfeed=True, rate_micros=to_micros("0.90"))

    answer = call("add", service=drip.pk, link=post_link(), quantity=100, runs=5, interval=30)

    order = Order.objects.get(pk=answer["order"])
    assert (order.quantity, order.runs, order.interval) == (100, 5, 30)
    assert order.charge_micros == to_micros("0.45")  # 0.90 × 100 × 5 / 1000
    assert order.remains == 500
    assert balance_of(me) == to_micros("99.55")
    assert call("status", order=order.pk)["charge"] == "0.45"


def test_add_drip_feed_checks_the_limits_per_run(call, me, nothing_written):
    drip = make_service(dripfeed=True, min_quantity=50, max_quantity=1000)

    with nothing_written(me):
        answer = call("add", service=drip.pk, link=post_link(), quantity=40, runs=10, interval=5)

    assert_error(answer, "Quantity less than minimal 50")


# --- status -------------------------------------------------------------------------------


def test_status_of_one_order_has_every_value_as_a_string(call, me):
    service = make_service(rate_micros=to_micros("0.27819"), max_quantity=100000)
    order = make_order(me, service, quantity=1000)
    transition(order, OrderStatus.IN_PROGRESS, start_count=3572)
    refund_remains(order, 157)

    answer = call("status", order=order.pk)

    assert answer == {
        "charge": "0.27819",
        "start_count": "3572",
        "status": "Partial",
        "remains": "157",
        "currency": "USD",
    }


def test_status_of_a_new_order_is_pending_with_the_whole_quantity_remaining(call, me, service):
    order = make_order(me, service, quantity=250)

    answer = call("status", order=str(order.pk))

    assert answer == {
        "charge": "0.225",
        "start_count": "0",
        "status": "Pending",
        "remains": "250",
        "currency": "USD",
    }


STATUS_NAMES = [
    ("pending", lambda o: o, "Pending"),
    ("in progress", lambda o: transition(o, OrderStatus.IN_PROGRESS), "In progress"),
    ("processing", lambda o: transition(o, OrderStatus.PROCESSING), "Processing"),
    ("completed", complete_order, "Completed"),
    ("partial", lambda o: refund_remains(o, 40), "Partial"),
    ("canceled", cancel_and_refund, "Canceled"),
    ("review (a panel hold)", lambda o: transition(o, OrderStatus.REVIEW), "Pending"),
    ("fail (a panel hold)", lambda o: transition(o, OrderStatus.FAIL), "Pending"),
]


def test_status_names_are_the_ones_clients_know(call, me, service, subtests):
    for state, move, shown in STATUS_NAMES:
        with subtests.test(state=state):
            order = move(make_order(me, service))

            answer = call("status", order=order.pk)

            assert answer["status"] == shown
            assert all(type(v) is str for v in answer.values())


def test_status_of_several_orders_is_keyed_by_the_requested_id_strings(call, me, service, stranger):
    mine = [make_order(me, service), complete_order(make_order(me, service))]
    foreign = stranger[1]
    asked = [str(mine[0].pk), str(mine[1].pk), str(foreign.pk), "999999", "abc"]

    answer = call("status", orders=",".join(asked))

    assert_success(answer)
    assert list(answer) == asked
    assert answer[asked[0]]["status"] == "Pending"
    assert answer[asked[1]]["status"] == "Completed"
    for ok in asked[:2]:
        assert set(answer[ok]) == STATUS_KEYS
        assert all(type(v) is str for v in answer[ok].values())
    for bad in asked[2:]:
        assert answer[bad] == {"error": "Incorrect order ID"}


def test_status_of_several_orders_accepts_spaces_and_drops_repeats(call, me, service):
    order = make_order(me, service)

    answer = call("status", orders=f" {order.pk} , {order.pk},")

    assert list(answer) == [str(order.pk)]


def test_status_of_100_orders_at_once_is_answered(call, me, service):
    order = make_order(me, service)
    asked = [str(order.pk)] + [str(10**6 + i) for i in range(99)]

    answer = call("status", orders=",".join(asked))

    assert list(answer) == asked
    assert answer[str(order.pk)]["status"] == "Pending"


def test_status_of_more_than_100_orders_is_refused(call, me, nothing_written):
    with nothing_written(me):
        answer = call("status", orders=",".join(str(i) for i in range(1, 102)))

    assert_error(answer)


def test_status_of_a_missing_order_is_incorrect_order_id(call, me, nothing_written):
    with nothing_written(me):
        assert_error(call("status", order=999999), "Incorrect order ID")
        assert_error(call("status", order="abc"), "Incorrect order ID")
        assert_error(call("status"), "Incorrect order ID")


def test_status_of_another_users_order_is_the_same_error_as_a_missing_one(
    call, me, stranger, nothing_written
):
    with nothing_written(me, stranger[0]):
        assert_error(call("status", order=stranger[1].pk), "Incorrect order ID")


# --- refill -------------------------------------------------------------------------------


def test_refill_of_one_order_answers_the_refill_id_as_a_string(call, me, service):
    order = complete_order(make_order(me, service))

    answer = call("refill", order=order.pk)

    assert set(answer) == {"refill"} and type(answer["refill"]) is str
    refill = Refill.objects.get(pk=int(answer["refill"]))
    assert (refill.order_id, refill.user_id, refill.status) == (order.pk, me.pk, "pending")


def test_refill_of_an_unfinished_order_is_refused(call, me, service, nothing_written):
    order = make_order(me, service)

    with nothing_written(me):
        answer = call("refill", order=order.pk)

    assert_error(answer)


@pytest.mark.parametrize("order_id", ["999999", "abc", ""])
def test_refill_of_a_missing_order_is_incorrect_order_id(call, me, order_id, nothing_written):
    with nothing_written(me):
        assert_error(call("refill", order=order_id), "Incorrect order ID")


def test_refill_of_another_users_order_is_the_same_error_as_a_missing_one(
    call, me, stranger, nothing_written
):
    user, order, _ = stranger
    Refill.objects.filter(order=order).update(status=RefillStatus.COMPLETED)

    with nothing_written(me, user):
        answer = call("refill", order=order.pk)

    assert_error(answer, "Incorrect order ID")


def test_refill_of_several_orders_lists_integer_ids_and_nested_errors(call, me, service, stranger):
    done = complete_order(make_order(me, service))
    running = make_order(me, service)
    foreign = stranger[1]

    answer = call("refill", orders=f"{done.pk},{running.pk},{foreign.pk},999999")

    assert isinstance(answer, list) and len(answer) == 4
    first, second, third, fourth = answer
    assert set(first) == {"order", "refill"}
    assert first["order"] == done.pk and type(first["refill"]) is int
    assert Refill.objects.get(pk=first["refill"]).order_id == done.pk
    assert second["order"] == running.pk and set(second["refill"]) == {"error"}
    assert third == {"order": foreign.pk, "refill": {"error": "Incorrect order ID"}}
    assert fourth == {"order": 999999, "refill": {"error": "Incorrect order ID"}}
    assert Refill.objects.filter(user=me).count() == 1


# --- refill_status ------------------------------------------------------------------------


def test_refill_status_of_one_refill_is_its_status_name(call, me, service):
    order = complete_order(make_order(me, service))
    refill = request_refill(me, order.pk)

    assert call("refill_status", refill=refill.pk) == {"status": "Pending"}
    Refill.objects.filter(pk=refill.pk).update(status=RefillStatus.COMPLETED)
    assert call("refill_status", refill=str(refill.pk)) == {"status": "Completed"}


def test_refill_status_of_a_missing_or_foreign_refill_is_refill_not_found(
    call, me, stranger, nothing_written
):
    with nothing_written(me, stranger[0]):
        assert_error(call("refill_status", refill=999999), "Refill not found")
        assert_error(call("refill_status", refill=stranger[2].pk), "Refill not found")
        assert_error(call("refill_status"), "Refill not found")


def test_refill_status_of_several_refills_lists_integer_ids_and_nested_errors(
    call, me, service, stranger
):
    refill = request_refill(me, complete_order(make_order(me, service)).pk)
    foreign = stranger[2]

    answer = call("refill_status", refills=f"{refill.pk},{foreign.pk},999999")

    assert answer == [
        {"refill": refill.pk, "status": "Pending"},
        {"refill": foreign.pk, "status": {"error": "Refill not found"}},
        {"refill": 999999, "status": {"error": "Refill not found"}},
    ]


# --- cancel -------------------------------------------------------------------------------


def test_cancel_of_several_orders_lists_integer_ids_and_nested_errors(call, me, service, stranger):
    pending = make_order(me, service)
    done = complete_order(make_order(me, service))
    foreign = stranger[1]
    balance_before = balance_of(me)

    answer = call("cancel", orders=f"{pending.pk},{done.pk},{foreign.pk},999999")

    assert isinstance(answer, list)
    assert answer[0] == {"order": pending.pk, "cancel": 1}
    assert answer[1]["order"] == done.pk and set(answer[1]["cancel"]) == {"error"}
    assert answer[2] == {"order": foreign.pk, "cancel": {"error": "Incorrect order ID"}}
    assert answer[3] == {"order": 999999, "cancel": {"error": "Incorrect order ID"}}
    pending.refresh_from_db()
    assert pending.status == OrderStatus.CANCELED
    assert balance_of(me) == balance_before + pending.charge_micros
    assert Order.objects.get(pk=foreign.pk).status == OrderStatus.COMPLETED


def test_cancel_of_a_service_without_cancel_is_refused_per_order(call, me, nothing_written):
    fixed = make_service(cancel=False)
    order = make_order(me, fixed)

    with nothing_written(me):
        answer = call("cancel", orders=str(order.pk))

    assert answer[0]["order"] == order.pk and set(answer[0]["cancel"]) == {"error"}


def test_cancel_without_orders_is_incorrect_order_id(call, me, nothing_written):
    with nothing_written(me):
        assert_error(call("cancel"), "Incorrect order ID")


# --- balance ------------------------------------------------------------------------------


def test_balance_is_a_string_amount_with_the_currency(api, encoding):
    user = make_user("100.84")

    answer = api(make_key(user), "balance", encoding=encoding)

    assert answer == {"balance": "100.84", "currency": "USD"}


def test_balance_keeps_sub_cent_digits_after_a_cheap_order(call, me):
    cheap = make_service(rate_micros=to_micros("2.7819"))
    make_order(me, cheap, quantity=100)

    assert call("balance") == {"balance": "99.72181", "currency": "USD"}


# --- keys, actions, URLs --------------------------------------------------------------------


def test_an_invalid_key_is_invalid_api_key(api, encoding, me, service, nothing_written, subtests):
    order = {"service": service.pk, "link": post_link(), "quantity": 100}
    for key in ("", " ", "nonsense", "smmk_" + "A" * 38):
        with subtests.test(key=key), nothing_written(me):
            assert_error(api(key, "add", encoding=encoding, **order), "Invalid API key")


def test_a_missing_key_is_invalid_api_key(
    live_server, http, encoding, me, service, nothing_written
):
    url = f"{live_server.url}/api/v2"
    params = {"action": "add", "service": service.pk, "link": post_link(), "quantity": 100}
    with nothing_written(me):
        if encoding == "form":
            response = http.post(url, data=params)
        elif encoding == "json":
            response = http.post(url, json=params)
        else:
            response = http.get(url, params=params)

    assert response.status_code == 200
    assert_error(response.json(), "Invalid API key")


def test_a_typo_in_a_real_key_is_invalid_api_key(call, me, api_customer, service, nothing_written):
    _, key = api_customer
    typo = key[:-7] + ("a" if key[-7] != "a" else "b") + key[-6:]

    with nothing_written(me):
        answer = call("add", key=typo, service=service.pk, link=post_link(), quantity=100)

    assert_error(answer, "Invalid API key")


def test_unknown_action_is_incorrect_request(call, me, nothing_written, subtests):
    for action in ("", "sevices", "delete", "addx"):
        with subtests.test(action=action), nothing_written(me):
            assert_error(call(action), "Incorrect request")


def test_action_names_ignore_case_and_surrounding_space(call):
    assert call(" Balance ") == {"balance": "100.00", "currency": "USD"}


def test_both_spellings_of_the_url_answer_without_redirect(
    live_server, http, api_customer, subtests
):
    _, key = api_customer
    params = {"key": key, "action": "balance"}
    for path in ("/api/v2", "/api/v2/"):
        for method in ("GET", "POST"):
            with subtests.test(path=path, method=method):
                if method == "GET":
                    response = http.get(live_server.url + path, params=params)
                else:
                    response = http.post(live_server.url + path, data=params)

                assert response.status_code == 200  # http never follows redirects
                assert response.headers["content-type"] == "application/json"
                assert response.json() == {"balance": "100.00", "currency": "USD"}


def test_a_legacy_user_agent_is_served(live_server, http, api_customer, service):
    _, key = api_customer
    form = {
        "key": key,
        "action": "add",
        "service": service.pk,
        "link": post_link(),
        "quantity": 100,
    }

    response = http.post(f"{live_server.url}/api/v2", data=form, headers={"User-Agent": LEGACY_UA})

    assert response.status_code == 200
    assert set(response.json()) == {"order"}


# --- refusals of add ------------------------------------------------------------------------


def test_add_to_an_unknown_service_is_incorrect_service_id(call, me, nothing_written, subtests):
    for service_id in ("999999", "abc", "", "-1", "1.5"):
        with subtests.test(service=service_id), nothing_written(me):
            answer = call("add", service=service_id, link=post_link(), quantity=100)
            assert_error(answer, "Incorrect service ID")


def test_add_to_an_inactive_service_is_incorrect_service_id(call, me, nothing_written):
    hidden = make_service(active=False)

    with nothing_written(me):
        answer = call("add", service=hidden.pk, link=post_link(), quantity=100)

    assert_error(answer, "Incorrect service ID")


def test_add_with_quantity_out_of_range_names_the_limit(
    call, me, service, nothing_written, subtests
):
    cases = [
        (49, "Quantity less than minimal 50"),
        (1, "Quantity less than minimal 50"),
        (10001, "Quantity more than maximum 10000"),
        (10**30, "Quantity more than maximum 10000"),
        ("9" * 60, "Quantity more than maximum 10000"),
    ]
    for quantity, message in cases:
        with subtests.test(quantity=quantity), nothing_written(me):
            answer = call("add", service=service.pk, link=post_link(), quantity=quantity)
            assert_error(answer, message)


def test_add_with_a_quantity_that_is_not_a_positive_whole_number_is_a_clean_error(
    call, me, service, nothing_written, subtests
):
    bad = ["-100", -100, "0", 0, "abc", "12.5", 12.5, "1e3", "", " ", "0x10", "١٠٠", "9" * 500]
    for quantity in bad:
        with subtests.test(quantity=quantity), nothing_written(me):
            answer = call("add", service=service.pk, link=post_link(), quantity=quantity)
            assert_error(answer)
            assert "quantity" in answer["error"].lower()


def test_add_without_quantity_is_refused(call, me, service, nothing_written):
    with nothing_written(me):
        answer = call("add", service=service.pk, link=post_link())

    assert_error(answer)
    assert "quantity" in answer["error"].lower()


def test_add_beyond_the_balance_is_not_enough_funds(api, encoding, service, nothing_written):
    poor = make_user("0.05")

    with nothing_written(poor):
        answer = api(
            make_key(poor),
            "add",
            encoding=encoding,
            service=service.pk,
            link=post_link(),
            quantity=100,
        )

    assert_error(answer, "Not enough funds on balance")


def test_add_costing_exactly_the_balance_is_accepted(api, encoding, service):
    exact = make_user("0.09")

    answer = api(
        make_key(exact),
        "add",
        encoding=encoding,
        service=service.pk,
        link=post_link(),
        quantity=100,
    )

    assert set(answer) == {"order"}
    assert balance_of(exact) == 0


SAME_POST_SPELLINGS = [
    "https://www.instagram.com/p/CxYz123/",
    "https://instagram.com/p/CxYz123",
    "http://WWW.INSTAGRAM.COM/p/CxYz123/",
    "instagram.com/p/CxYz123/?utm_source=ig_web_copy_link&utm_medium=share",
    "https://www.instagram.com/p/CxYz123/?igsh=MWQ1ZGUxMzBkMA==",
    "https://m.instagram.com/p/CxYz123//",
]


def test_a_second_active_order_on_the_same_link_is_refused_however_it_is_spelled(
    call, me, service, nothing_written, subtests
):
    first = call(
        "add", service=service.pk, link="https://www.instagram.com/p/CxYz123/", quantity=100
    )
    assert set(first) == {"order"}

    for spelling in SAME_POST_SPELLINGS:
        with subtests.test(link=spelling), nothing_written(me):
            answer = call("add", service=service.pk, link=spelling, quantity=100)
            assert answer == {
                "error": "You have active order with this link. "
                "Please wait until order being completed."
            }
            assert answer["error"] == ACTIVE_ORDER_EXISTS


def test_a_different_post_is_not_the_same_link(call, service):
    call("add", service=service.pk, link="https://instagram.com/p/CxYz123/", quantity=100)

    answer = call("add", service=service.pk, link="https://instagram.com/p/cxyz123/", quantity=100)

    assert set(answer) == {"order"}  # path case is part of the target


def test_a_new_order_on_the_link_is_accepted_once_the_first_is_completed(call, me, service):
    first = call("add", service=service.pk, link="https://instagram.com/p/Done1/", quantity=100)
    complete_order(Order.objects.get(pk=first["order"]))

    answer = call("add", service=service.pk, link="https://instagram.com/p/Done1/", quantity=100)

    assert set(answer) == {"order"} and answer["order"] != first["order"]


def test_add_with_a_link_of_the_wrong_shape_says_what_is_expected(
    call, me, service, nothing_written, subtests
):
    wrong = {
        "tiktok video for an instagram post service": "https://www.tiktok.com/@user/video/7300000000000000000",
        "profile for a post service": "https://www.instagram.com/someprofile/",
        "another site": "https://example.com/p/Abc",
    }
    for case, link in wrong.items():
        with subtests.test(case), nothing_written(me):
            answer = call("add", service=service.pk, link=link, quantity=100)
            assert_error(answer)
            assert "expected Instagram post or reel link" in answer["error"]
            assert "https://www.instagram.com/p/" in answer["error"]  # with an example


def test_add_with_an_unusable_link_is_a_clean_error(call, me, service, nothing_written, subtests):
    unusable = [
        "",
        "javascript:alert(1)",
        "javascript://instagram.com/p/Abc/%0aalert(1)",
        "ftp://instagram.com/p/Abc",
        "https://user:pw@instagram.com/p/Abc",
        "https://instagram.com:8080/p/Abc",
        "https://instagram.com/p/A bc",
        "https://instagram.com/p/" + "x" * 3000,
    ]
    for link in unusable:
        with subtests.test(link=link[:60]), nothing_written(me):
            assert_error(call("add", service=service.pk, link=link, quantity=100))


# --- malformed requests -------------------------------------------------------------------


def test_a_malformed_json_body_is_a_clean_error(
    live_server, http, me, service, nothing_written, subtests
):
    broken_add = f'{{"key": "{make_key(me)}", "action": "add", "service": {service.pk}, '
    bodies = [
        broken_add.encode(),
        (broken_add + '"link": "https://instagram.com/p/X", "quantity": 100,}').encode(),
        b"{not json",
        b'{"key": ',
        b"[1, 2, 3]",
        b'"just a string"',
        b"\xff\xfe{}",
        b"{}" * 1000,
        b'{"quantity": 1' + b"0" * 5000 + b"}",  # beyond Python's int-from-text limit
    ]
    for body in bodies:
        with subtests.test(body=body[:20]), nothing_written(me):
            response = http.post(
                f"{live_server.url}/api/v2",
                content=body,
                headers={"Content-Type": "application/json"},
            )

            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json"
            assert_error(response.json())


def test_a_deeply_nested_json_body_is_an_incorrect_request_without_a_traceback(
    live_server, http, me, nothing_written, caplog
):
    """Anyone may send one, so each must not write an error record to the log."""
    caplog.set_level(logging.WARNING)
    for body in (b"[" * 100_000, b'{"a":' * 100_000):
        with nothing_written(me):
            response = http.post(
                f"{live_server.url}/api/v2",
                content=body,
                headers={"Content-Type": "application/json"},
            )
            assert response.json() == {"error": "Incorrect request"}
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_json_body_with_wrong_value_types_is_a_clean_error(
    live_server, http, api_customer, service, nothing_written
):
    user, key = api_customer
    bodies = [
        {"key": key, "action": "add", "service": service.pk, "link": ["x"], "quantity": 100},
        {"key": key, "action": "add", "service": {"id": 1}, "link": post_link(), "quantity": 1},
        {"key": key, "action": "add", "service": service.pk, "link": post_link(), "quantity": True},
        {"key": key, "action": "add", "service": service.pk, "link": None, "quantity": None},
        {"key": key, "action": ["add"]},
        {"key": [key], "action": "balance"},
    ]
    with nothing_written(user):
        for body in bodies:
            response = http.post(f"{live_server.url}/api/v2", json=body)
            assert response.status_code == 200, body
            assert_error(response.json())


def test_a_json_body_may_list_order_ids(live_server, http, api_customer, service):
    user, key = api_customer
    order = make_order(user, service)

    response = http.post(
        f"{live_server.url}/api/v2",
        json={"key": key, "action": "status", "orders": [order.pk, 999999]},
    )

    answer = response.json()
    assert list(answer) == [str(order.pk), "999999"]
    assert answer[str(order.pk)]["status"] == "Pending"
    assert answer["999999"] == {"error": "Incorrect order ID"}
