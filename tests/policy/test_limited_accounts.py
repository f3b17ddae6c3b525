"""``User.policy_limited``: the per-request checks read restrictions and API limitations
only for accounts that have one; the flag is set with the first and cleared with the
last one lifted, so a block is never skipped."""

import pytest

from smmpanel.accounts.models import User
from smmpanel.accounts.services import record_key_use
from smmpanel.policy import services as policy
from smmpanel.policy.decision_points import check_api_request, login_block_reason
from smmpanel.policy.models import Restriction
from tests.policy.conftest import key_for

pytestmark = pytest.mark.django_db


def flagged(user) -> bool:
    return User.objects.values_list("policy_limited", flat=True).get(pk=user.pk)


def test_an_account_never_limited_is_not_flagged(customer):
    assert not flagged(customer)


def test_a_restriction_flags_the_account(customer, staff):
    policy.restrict(customer, Restriction.Level.ORDERING, reason="chargeback", actor=staff)

    assert flagged(customer)


def test_an_api_limitation_flags_the_account(customer, staff):
    policy.limit_api(customer, 5, reason="too chatty", actor=staff)

    assert flagged(customer)


def test_lifting_the_last_one_clears_the_flag(customer, staff):
    row = policy.restrict(customer, Restriction.Level.API, reason="leak", actor=staff)
    limit = policy.limit_api(customer, 5, reason="too chatty", actor=staff)

    policy.lift_restriction(row, actor=staff, reason="rotated the key")
    still = flagged(customer)
    policy.lift_api_limit(limit, actor=staff, reason="calmer now")

    assert still
    assert not flagged(customer)


def test_a_fresh_copy_of_the_account_sees_the_block(customer, staff):
    policy.restrict(customer, Restriction.Level.LOGIN, reason="stolen account", actor=staff)

    assert login_block_reason(User.objects.get(pk=customer.pk)) == "stolen account"


def test_an_unflagged_account_passes_the_api_gate_without_reading_blocks(
    customer, django_assert_num_queries
):
    api_key, _ = key_for(customer)
    record_key_use(api_key, "127.0.0.1")  # a known address: no sighting to write
    check_api_request(api_key, "127.0.0.1")  # seeds rules and buckets

    with django_assert_num_queries(1):  # the rate-limit buckets, nothing else
        gate = check_api_request(api_key, "127.0.0.1")

    assert not gate.refused


def test_a_flagged_account_is_refused_by_the_api_gate(customer, staff):
    api_key, _ = key_for(customer)
    policy.restrict(customer, Restriction.Level.API, reason="abuse", actor=staff)

    gate = check_api_request(api_key, "127.0.0.1")

    assert gate.refused and "abuse" in gate.verdict.message()
