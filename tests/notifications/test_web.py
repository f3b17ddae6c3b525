"""The bell counts unread notifications and clears when they are read; Settings
switches kinds; staff see open alerts."""

import pytest

from smmpanel.accounts.services import issue_api_key
from smmpanel.notifications.models import Preference
from smmpanel.notifications.services import raise_alert
from tests.factories import make_staff, make_user

pytestmark = pytest.mark.django_db


def _bell(client) -> str:
    page = client.get("/dashboard/").content.decode()
    start = page.index('class="bell"')
    return page[start : page.index("</a>", start)]


def test_bell_counts_unread_and_clears_when_marked_read(client):
    user = make_user()
    issue_api_key(user, "one")
    issue_api_key(user, "two")
    client.force_login(user)
    assert '<span class="count">2</span>' in _bell(client)
    assert "API key created" in client.get("/notifications/").content.decode()
    client.post("/notifications/read/")
    assert 'class="count"' not in _bell(client)


def test_marking_one_read_lowers_the_count(client):
    user = make_user()
    issue_api_key(user, "one")
    issue_api_key(user, "two")
    client.force_login(user)
    first = user.notifications.order_by("pk").first()
    client.post("/notifications/read/", {"id": first.pk})
    assert '<span class="count">1</span>' in _bell(client)


def test_settings_switch_a_kind_off_by_email(client):
    user = make_user()
    client.force_login(user)
    assert 'name="email-refill_done" aria-label' in client.get("/settings/").content.decode()
    client.post("/notifications/preferences/", {"panel-refill_done": "on"})
    choice = Preference.objects.get(user=user, kind="refill_done")
    assert (choice.in_panel, choice.by_email) == (True, False)


def test_staff_dashboard_shows_open_alerts(client):
    raise_alert("provider-circuit:1", "provider_circuit_open", provider="Acme")
    client.force_login(make_staff("owner"))
    page = client.get("/staff/").content.decode()
    assert "Provider Acme: calls are paused (circuit open)." in page
