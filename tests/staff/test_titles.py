"""Staff pages carry their own titles, not the site name twice."""

import pytest

from smmpanel.accounts.models import User
from tests.factories import make_user


@pytest.mark.parametrize(
    ("path", "title"), [("/staff/rules/", "Policy rules"), ("/staff/deny/", "Deny lists")]
)
def test_staff_policy_pages_have_their_own_title(client, db, path, title):
    client.force_login(make_user(role=User.Role.STAFF))
    page = client.get(path).content.decode()
    assert f"<title>{title} · " in page
