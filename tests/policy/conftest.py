"""Shared helpers for the policy tests: staff actor, rule tuning, API calls in-process."""

import pytest
from django.test import Client

from smmpanel.accounts.models import ApiKey, User
from smmpanel.accounts.services import issue_api_key
from smmpanel.audit.models import Decision
from smmpanel.policy import engine, rulebook
from smmpanel.policy.link_checkers import _checkers
from smmpanel.policy.models import Outcome, Rule
from smmpanel.policy.replay import replay
from smmpanel.policy.services import update_rule
from tests.factories import make_user


@pytest.fixture(autouse=True)
def fresh_link_checkers():
    """The checker list is cached per process; tests that change the setting see theirs."""
    _checkers.cache_clear()
    yield
    _checkers.cache_clear()


@pytest.fixture
def staff(db):
    return make_user(role=User.Role.STAFF)


def rule_row(code: str) -> Rule:
    """The rule's row, seeded from the rulebook if nobody asked for it yet."""
    engine.rules_for(rulebook.BY_CODE[code].points[0])
    return Rule.objects.get(code=code)


def tune(code: str, actor, **changes) -> Rule:
    return update_rule(rule_row(code), actor=actor, reason="test tuning", **changes)


def key_for(user, name: str = "test") -> tuple[ApiKey, str]:
    issued = issue_api_key(user, name)
    return issued.api_key, issued.plaintext


def call_api(key: str, action: str, *, ip: str = "203.0.113.5", client=None, **params):
    """One API v2 request through the real view, in-process (the test's transaction)."""
    response = (client or Client()).post(
        "/api/v2", data={"key": key, "action": action, **params}, REMOTE_ADDR=ip
    )
    assert response.status_code == 200
    return response


def decisions(code: str, user=None):
    rows = Decision.objects.filter(rule_code=code)
    return rows.filter(user=user) if user is not None else rows


def assert_replays(decision: Decision) -> None:
    """Replaying the recorded inputs through the rule gives the recorded outcome."""
    assert replay(decision) == decision.outcome, (decision.rule_code, decision.inputs)


def refuse_over_api(user, times: int) -> None:
    """``times`` refused orders of ``user`` over the API, as the policy records them
    (each counts as one towards ``abuse.invalid_orders``)."""
    api_key = issue_api_key(user, "refusals").api_key
    for _ in range(times):
        Decision.objects.create(
            point=rulebook.ORDER_PLACE,
            rule_code="order.invalid",
            outcome=Outcome.REJECT,
            user=user,
            api_key=api_key,
        )
