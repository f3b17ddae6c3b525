import pytest

from smmpanel.accounts.models import User
from tests.factories import make_user


@pytest.fixture
def staff(db):
    """An owner: every staff capability."""
    return make_user(role=User.Role.STAFF)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def support(db):
    """A support agent: tickets, users, funds, orders, reports — not prices."""
    from tests.factories import make_staff

    return make_staff(User.StaffRole.SUPPORT)


@pytest.fixture
def as_support(client, support):
    client.force_login(support)
    return client
