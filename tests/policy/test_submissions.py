"""A mass order is one submission for ``abuse.invalid_orders``: its refused lines are
recorded together, as one decision listing them, and counted once (as a web form
refusal, a quarter); every line is decided against the count as it stood when the
submission arrived, and lines refused while paused are the pause's, never counted."""

import pytest

from smmpanel.accounts.services import issue_api_key
from smmpanel.audit.models import Decision
from smmpanel.orders.errors import OrderRefused
from smmpanel.orders.models import Order
from smmpanel.orders.services import place_mass_order, place_order
from smmpanel.policy.models import ApiLimit, Restriction
from smmpanel.policy.services import open_balance_review
from tests.factories import make_user, post_link
from tests.policy.conftest import decisions, tune

pytestmark = pytest.mark.django_db

TIKTOK_VIDEO = "https://www.tiktok.com/@someone/video/7300000000000000001"


@pytest.fixture
def strict(staff):
    """Low thresholds: 2 invalid orders in 10 minutes refuse, 3 limit, 4 restrict."""
    return tune(
        "abuse.invalid_orders",
        staff,
        thresholds={"window_minutes": 10, "reject_at": 2, "limit_at": 3, "restrict_at": 4},
    )


def good(service, n: int) -> str:
    return f"{service.pk} | {post_link(n)} | 100"


def typo(service, n: int) -> str:
    return f"{service.pk} | {post_link(n)} | 5"  # below the minimum of 50


def single_invalid_order(user, service) -> None:
    """An order refused over the API, where each refusal counts as one."""
    api_key = issue_api_key(user, "bot").api_key
    with pytest.raises(OrderRefused):
        place_order(user, service, {"link": post_link(), "quantity": 5}, api_key=api_key)


def test_a_mass_orders_refused_lines_are_one_decision_listing_each(customer, service):
    text = "\n".join(
        [
            good(service, 1),
            typo(service, 2),
            f"{service.pk} | {TIKTOK_VIDEO} | 100",
            good(service, 1),  # a second active order for the same link
        ]
    )

    place_mass_order(customer, text)

    decision = Decision.objects.get(user=customer)
    assert decision.rule_code == "order.invalid" and decision.outcome == "reject"
    assert decision.inputs["mass_order"] is True and decision.inputs["lines"] == 4
    refused = decision.inputs["refused"]
    assert [(r["line"], r["rule"], r["field"]) for r in refused] == [
        (2, "order.invalid", "quantity"),
        (3, "link.service_match", "link"),
        (4, "order.duplicate", "link"),
    ]
    assert refused[0]["reason"] == "Quantity less than minimal 50"
    assert "3 of 4 lines refused" in decision.reason


def test_typos_in_one_mass_order_count_once(customer, service, strict):
    text = "\n".join(typo(service, n) for n in range(10))

    place_mass_order(customer, text)

    assert decisions("order.invalid", customer).count() == 1
    assert place_order(customer, service, {"link": post_link(), "quantity": 100}).pk


def test_typos_in_one_mass_order_limit_and_restrict_nothing(customer, service, strict):
    text = "\n".join(typo(service, n) if n % 2 else good(service, n) for n in range(50))

    place_mass_order(customer, text)

    assert not ApiLimit.objects.filter(user=customer).exists()
    assert not Restriction.objects.filter(user=customer).exists()
    assert not decisions("abuse.invalid_orders", customer).exists()


def test_a_refused_line_never_turns_the_next_into_a_refusal(customer, service, strict):
    text = "\n".join([typo(service, 1), typo(service, 2), typo(service, 3), good(service, 4)])

    lines = place_mass_order(customer, text)

    assert lines[3].order is not None and lines[3].refusal is None


def test_lines_refused_by_a_link_rule_count_once_too(customer, service, strict):
    text = "\n".join(f"{service.pk} | {TIKTOK_VIDEO}?v={n} | 100" for n in range(10))

    lines = place_mass_order(customer, text)

    assert {line.refusal.rule for line in lines} == {"link.service_match"}
    assert not decisions("link.service_match", customer).exists()  # listed, not one by one
    assert decisions("order.invalid", customer).count() == 1
    assert not ApiLimit.objects.filter(user=customer).exists()


def test_a_submission_while_paused_is_refused_once_and_counts_nothing(customer, service, strict):
    for _ in range(2):
        single_invalid_order(customer, service)

    lines = place_mass_order(customer, "\n".join(good(service, n) for n in range(5)))

    assert {line.refusal.rule for line in lines} == {"abuse.invalid_orders"}
    assert decisions("abuse.invalid_orders", customer).count() == 1  # the pause, once
    assert decisions("order.invalid", customer).count() == 2  # the two singles only
    assert not ApiLimit.objects.filter(user=customer).exists()


def test_a_submission_over_the_limit_threshold_limits_the_api_once(customer, service, strict):
    for _ in range(3):
        single_invalid_order(customer, service)

    place_mass_order(customer, "\n".join(good(service, n) for n in range(5)))

    limit = ApiLimit.objects.get(user=customer)
    assert limit.per_minute == 0
    assert not Restriction.objects.filter(user=customer).exists()


def test_an_account_state_refusal_is_recorded_once_and_not_counted(customer, service, staff):
    open_balance_review(customer, reason="payment check", actor=staff)

    lines = place_mass_order(customer, "\n".join(good(service, n) for n in range(5)))

    assert {line.refusal.rule for line in lines} == {"balance.review"}
    assert decisions("balance.review", customer).count() == 1
    assert not decisions("order.invalid", customer).exists()


def test_a_mass_order_with_every_line_placed_records_nothing(customer, service):
    place_mass_order(customer, "\n".join(good(service, n) for n in range(3)))

    assert Order.objects.filter(user=customer).count() == 3
    assert not Decision.objects.filter(user=customer).exists()


def test_short_funds_in_a_mass_order_are_no_invalid_order(service):
    poor = make_user("0.10")  # one line of 100 costs 0.09

    lines = place_mass_order(poor, "\n".join(good(service, n) for n in range(2)))

    assert lines[0].order is not None and lines[1].refusal is not None
    assert not Decision.objects.filter(user=poor).exists()
