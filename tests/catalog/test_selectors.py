"""Reads for the catalog: what a customer pays for a service."""

import pytest

from smmpanel.catalog.selectors import rate_for
from smmpanel.catalog.services import set_custom_rate
from tests.factories import make_service, make_user

pytestmark = pytest.mark.django_db


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
