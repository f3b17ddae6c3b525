"""Shared fixtures for the support tests: a staff member, an order, a foreign order."""

import pytest

from smmpanel.accounts.models import User
from tests.factories import make_order, make_user


@pytest.fixture
def staff(db):
    return make_user(role=User.Role.STAFF)


@pytest.fixture
def order(customer, service):
    return make_order(customer, service)


@pytest.fixture
def other_order(customer, service):
    return make_order(customer, service)


@pytest.fixture
def stranger(db):
    return make_user("50")


@pytest.fixture
def foreign_order(stranger, service):
    return make_order(stranger, service)
