"""Staff roles: each page needs its capability; support cannot change prices,
moderators cannot edit providers."""

import pytest

from smmpanel.staff.permissions import MODERATE, PRICES, PROVIDERS, RULES, TICKETS, can
from tests.factories import make_staff as staff_member
from tests.factories import make_user


@pytest.mark.parametrize(
    ("role", "capability", "allowed"),
    [
        ("owner", PRICES, True),
        ("owner", PROVIDERS, True),
        ("support", PRICES, False),
        ("support", TICKETS, True),
        ("support", MODERATE, False),
        ("moderator", PROVIDERS, False),
        ("moderator", MODERATE, True),
        ("moderator", RULES, True),
    ],
)
def test_roles_have_exactly_their_capabilities(db, role, capability, allowed):
    assert can(staff_member(role), capability) is allowed


def test_a_customer_has_no_staff_capability(db):
    assert not can(make_user(), TICKETS)


def test_support_cannot_open_the_rules_page(client, db):
    client.force_login(staff_member("support"))
    assert client.get("/staff/rules/").status_code == 403


def test_a_moderator_can_open_the_rules_page(client, db):
    client.force_login(staff_member("moderator"))
    assert client.get("/staff/rules/").status_code == 200


def test_support_can_open_the_ticket_inbox(client, db):
    client.force_login(staff_member("support"))
    assert client.get("/staff/tickets/").status_code == 200


def test_staff_pages_need_two_factor_authentication_set_up(client, db, staff_2fa_enforced):
    client.force_login(staff_member("owner"))
    response = client.get("/staff/")
    assert response.status_code == 302 and "/accounts/2fa/totp/activate/" in response["Location"]


def test_staff_with_a_totp_authenticator_get_in(client, db, staff_2fa_enforced):
    from allauth.mfa.models import Authenticator

    owner = staff_member("owner")
    Authenticator.objects.create(user=owner, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(owner)
    assert client.get("/staff/").status_code == 200


def test_the_django_admin_also_needs_two_factor_authentication(client, db, staff_2fa_enforced):
    client.force_login(staff_member("owner"))
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
