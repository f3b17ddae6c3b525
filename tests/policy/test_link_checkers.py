"""Pluggable link checkers: a checker's own failure is an unknown answer, but a failed
database read is the database's, and fails the check as it would fail the order."""

import pytest
from django.db import OperationalError

from smmpanel.orders.links import canonicalise
from smmpanel.policy.link_checkers import target_state
from tests.factories import make_service, post_link


def checker_with_a_broken_service(link, service):
    raise RuntimeError("the provider's check is down")


def checker_losing_the_database(link, service):
    raise OperationalError("server closed the connection unexpectedly")


@pytest.mark.django_db
def test_a_checker_that_fails_on_its_own_is_read_as_unknown(settings):
    settings.POLICY_LINK_CHECKERS = [f"{__name__}.checker_with_a_broken_service"]

    assert target_state(canonicalise(post_link()), make_service()) is None


@pytest.mark.django_db
def test_a_checker_that_loses_the_database_fails_the_check(settings):
    settings.POLICY_LINK_CHECKERS = [f"{__name__}.checker_losing_the_database"]

    with pytest.raises(OperationalError):
        target_state(canonicalise(post_link()), make_service())
