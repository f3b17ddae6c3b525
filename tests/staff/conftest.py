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
