"""Staff provider pages: health (circuit, error rate, latency, balance, last sync, last
error), add/edit with a write-only key and an SSRF-checked URL, import services, refresh
balance and sync now — against a real simulator over HTTP. Moderators cannot edit
providers; every action is audited."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from smmpanel.accounts.models import User
from smmpanel.audit.models import Decision
from smmpanel.catalog.models import Service
from smmpanel.providers.models import PendingServiceChange, Provider, ServiceRoute
from smmpanel.providers.secrets import seal, unseal
from smmpanel.providers.services import add_provider
from smmpanel.providers.simulator.catalog import Catalog
from tests.factories import make_service, make_user
from tests.providers.conftest import SIM_KEY, HandClock, closed_port_url, start_simulator

PUBLIC_URL = "https://93.184.215.14/api/v2"  # a public IP literal: checked without DNS
KEY = "very-secret-provider-key-9876"


def staff_member(role: str) -> User:
    user = make_user(role=User.Role.STAFF)
    User.objects.filter(pk=user.pk).update(staff_role=role, is_superuser=False)
    user.refresh_from_db()
    return user


@pytest.fixture
def owner(db):
    return staff_member("owner")


@pytest.fixture
def staff(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def sim():
    handle = start_simulator(HandClock())
    yield handle
    handle.shutdown()


@pytest.fixture
def simulated(db, sim):
    """A provider backed by the simulator (loopback, so ``allow_private``)."""
    return add_provider("Simulator", sim.url, SIM_KEY, allow_private=True)


@pytest.fixture
def unreachable(db):
    return add_provider("Gone", closed_port_url(), SIM_KEY, allow_private=True)


@pytest.fixture
def remote(db):
    return Provider.objects.create(
        name="Remote", api_url=PUBLIC_URL, api_key_sealed=seal(KEY), api_key_last4=KEY[-4:]
    )


def audit_actions() -> list[str]:
    return list(Decision.objects.order_by("id").values_list("rule_code", flat=True))


def edit_form(provider: Provider, **changes) -> dict:
    data = {"name": provider.name, "api_url": provider.api_url, "api_key": "", "active": "on"}
    data.update(changes)
    return data


# -- access ----------------------------------------------------------------------------------


def test_a_moderator_cannot_open_the_providers_page(client, db):
    client.force_login(staff_member("moderator"))
    assert client.get("/staff/providers/").status_code == 403


def test_a_moderator_cannot_edit_a_provider(client, remote):
    client.force_login(staff_member("moderator"))
    response = client.post(f"/staff/providers/{remote.pk}/", edit_form(remote, name="Mine"))
    remote.refresh_from_db()
    assert response.status_code == 403 and remote.name == "Remote"


def test_support_cannot_add_a_provider(client, db):
    client.force_login(staff_member("support"))
    data = {"name": "X", "api_url": PUBLIC_URL, "api_key": KEY}
    assert client.post("/staff/providers/new/", data).status_code == 403
    assert not Provider.objects.exists()


def test_a_moderator_cannot_refresh_a_balance(client, remote):
    client.force_login(staff_member("moderator"))
    assert client.post(f"/staff/providers/{remote.pk}/refresh-balance/").status_code == 403


# -- health ----------------------------------------------------------------------------------


def provider_row(client, provider: Provider) -> str:
    html = client.get("/staff/providers/").content.decode()
    start = html.index(f'href="/staff/providers/{provider.pk}/"')
    return html[start : html.index("</tr>", start)]


def test_an_open_circuit_shows_until_when(staff, remote):
    until = timezone.now() + timedelta(seconds=25)
    Provider.objects.filter(pk=remote.pk).update(breaker_open_until=until, breaker_failures=5)
    row = provider_row(staff, remote)
    assert f"open until {until:%Y-%m-%d %H:%M:%S}" in row and "5 failures in a row" in row


def test_a_healthy_circuit_shows_closed(staff, remote):
    assert ">closed<" in provider_row(staff, remote)


def test_the_error_rate_is_failed_calls_of_all_calls(staff, remote):
    Provider.objects.filter(pk=remote.pk).update(calls=40, failed_calls=3)
    row = provider_row(staff, remote)
    assert "7.50 %" in row and "3 of 40 calls" in row


def test_latency_shows_the_last_call_and_the_average(staff, remote):
    Provider.objects.filter(pk=remote.pk).update(last_latency_ms=120, avg_latency_ms=95)
    assert "120 ms (average 95 ms)" in provider_row(staff, remote)


def test_the_last_error_is_shown(staff, remote):
    Provider.objects.filter(pk=remote.pk).update(last_error="balance: HTTP 502")
    assert "balance: HTTP 502" in provider_row(staff, remote)


def test_the_list_never_shows_a_key_only_its_last_four(staff, remote):
    html = staff.get("/staff/providers/").content.decode()
    assert KEY not in html and remote.api_key_sealed not in html and "…9876" in html


# -- add and edit ----------------------------------------------------------------------------


def test_adding_a_provider_seals_its_key(staff):
    staff.post("/staff/providers/new/", {"name": "Remote", "api_url": PUBLIC_URL, "api_key": KEY})
    provider = Provider.objects.get(name="Remote")
    assert unseal(provider.api_key_sealed) == KEY and provider.api_key_last4 == "9876"


def test_adding_a_provider_is_audited_without_its_key(staff):
    staff.post("/staff/providers/new/", {"name": "Remote", "api_url": PUBLIC_URL, "api_key": KEY})
    entry = Decision.objects.get(rule_code="provider.add")
    assert KEY not in entry.reason and KEY not in str(entry.inputs)


def test_a_loopback_url_is_refused(staff):
    data = {"name": "Local", "api_url": "https://127.0.0.1/api/v2", "api_key": KEY}
    response = staff.post("/staff/providers/new/", data)
    assert "loopback" in response.content.decode() and not Provider.objects.exists()


def test_a_refused_form_does_not_render_the_key_back(staff):
    data = {"name": "Local", "api_url": "http://127.0.0.1/api/v2", "api_key": KEY}
    assert KEY not in staff.post("/staff/providers/new/", data).content.decode()


def test_the_edit_page_never_renders_the_key(staff, remote):
    html = staff.get(f"/staff/providers/{remote.pk}/").content.decode()
    assert KEY not in html and remote.api_key_sealed not in html and "9876" in html


def test_an_empty_key_field_keeps_the_key(staff, remote):
    staff.post(f"/staff/providers/{remote.pk}/", edit_form(remote, name="Renamed"))
    remote.refresh_from_db()
    assert remote.name == "Renamed" and unseal(remote.api_key_sealed) == KEY


def test_a_new_key_replaces_the_old_one(staff, remote):
    staff.post(f"/staff/providers/{remote.pk}/", edit_form(remote, api_key="fresh-key-1111"))
    remote.refresh_from_db()
    assert unseal(remote.api_key_sealed) == "fresh-key-1111" and remote.api_key_last4 == "1111"


def test_a_key_change_is_audited_without_the_key(staff, remote):
    staff.post(f"/staff/providers/{remote.pk}/", edit_form(remote, api_key="fresh-key-1111"))
    entry = Decision.objects.get(rule_code="provider.update")
    assert "fresh-key-1111" not in entry.reason and "1111" in entry.reason


def test_editing_to_a_private_url_is_refused(staff, remote):
    response = staff.post(
        f"/staff/providers/{remote.pk}/", edit_form(remote, api_url="https://10.0.0.5/api/v2")
    )
    remote.refresh_from_db()
    assert remote.api_url == PUBLIC_URL and "private" in response.content.decode()


def test_switching_a_provider_off(staff, remote):
    staff.post(f"/staff/providers/{remote.pk}/", edit_form(remote, active=""))
    remote.refresh_from_db()
    assert not remote.active and audit_actions() == ["provider.update"]


# -- actions against the simulator -----------------------------------------------------------


def test_refreshing_the_balance_stores_it(staff, simulated):
    staff.post(f"/staff/providers/{simulated.pk}/refresh-balance/")
    simulated.refresh_from_db()
    assert simulated.balance_micros == 1000 * 1_000_000
    assert "provider.balance" in audit_actions()


def test_a_call_records_its_latency(staff, simulated):
    staff.post(f"/staff/providers/{simulated.pk}/refresh-balance/")
    simulated.refresh_from_db()
    assert simulated.last_latency_ms is not None and simulated.avg_latency_ms is not None


def test_a_failed_balance_check_is_shown_and_kept(staff, unreachable):
    response = staff.post(f"/staff/providers/{unreachable.pk}/refresh-balance/", follow=True)
    unreachable.refresh_from_db()
    assert "Balance check failed" in response.content.decode() and unreachable.last_error


def test_importing_services_with_a_markup(staff, simulated):
    staff.post(f"/staff/providers/{simulated.pk}/import/", {"markup_percent": "25", "only": "1"})
    route = ServiceRoute.objects.select_related("service").get(provider=simulated)
    assert route.provider_service_id == "1"
    assert route.service.rate_micros == 750_000  # the simulator's 0.60 plus 25 %


def test_importing_is_audited(staff, simulated):
    staff.post(f"/staff/providers/{simulated.pk}/import/", {"markup_percent": "25", "only": "1"})
    assert audit_actions() == ["provider.import"]


def test_an_import_failure_is_shown_and_nothing_is_created(staff, unreachable):
    response = staff.post(
        f"/staff/providers/{unreachable.pk}/import/",
        {"markup_percent": "25", "only": ""},
        follow=True,
    )
    assert "Import failed" in response.content.decode() and not Service.objects.exists()


def test_syncing_services_now_records_when(staff, simulated):
    staff.post(f"/staff/providers/{simulated.pk}/sync-services/")
    simulated.refresh_from_db()
    assert simulated.services_synced_at is not None and "provider.sync" in audit_actions()


def test_the_list_shows_the_last_services_sync(staff, simulated):
    Provider.objects.filter(pk=simulated.pk).update(
        services_synced_at=timezone.now().replace(year=2031, month=1, day=2, hour=3, minute=4)
    )
    assert "2031-01-02 03:04" in provider_row(staff, simulated)


# -- numbers from a provider that no column holds (issue 23, item 6) --------------------------

HUGE_MAX = 5_000_000_000


def announce_huge_max(sim, provider: Provider) -> Service:
    """A service routed to the simulator's service 1, which now announces ``HUGE_MAX``."""
    service = make_service()
    ServiceRoute.objects.create(
        service=service, provider=provider, provider_service_id="1", cost_micros=600_000
    )
    catalog = sim.app.catalog
    sim.app.catalog = Catalog(
        [replace(s, max=HUGE_MAX) if s.id == 1 else s for s in catalog.by_id.values()]
    )
    return service


def test_the_list_shows_the_values_a_services_sync_refused(staff, simulated, sim):
    announce_huge_max(sim, simulated)

    staff.post(f"/staff/providers/{simulated.pk}/sync-services/")

    row = provider_row(staff, simulated)
    assert str(HUGE_MAX) in row and "2147483647" in row


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the column's range is PostgreSQL's")
def test_syncing_now_a_provider_announcing_a_huge_max_answers_the_providers_page(
    staff, simulated, sim
):
    service = announce_huge_max(sim, simulated)

    response = staff.post(f"/staff/providers/{simulated.pk}/sync-services/")

    assert response.status_code == 302
    service.refresh_from_db()
    assert service.max_quantity == 10000


# -- changes the services sync held for staff (issue 16, item 4) ------------------------------


@pytest.fixture
def held_change(db, simulated):
    """A service promising "30 days refill" whose provider would take the refill away."""
    service = make_service(name="Instagram Likes — 30 days refill", refill=True)
    return PendingServiceChange.objects.create(
        service=service, provider=simulated, changes={"refill": False}, before={"refill": True}
    )


def test_the_list_shows_a_held_change(staff, held_change):
    html = staff.get("/staff/providers/").content.decode()

    assert f"/staff/providers/changes/{held_change.pk}/accept/" in html
    assert "Instagram Likes — 30 days refill" in html


def test_accepting_a_held_change_from_the_providers_page_applies_it(staff, held_change):
    staff.post(f"/staff/providers/changes/{held_change.pk}/accept/", {"reason": "agreed"})

    held_change.service.refresh_from_db()
    assert held_change.service.refill is False
    assert "service_change.accept" in audit_actions()


def test_rejecting_a_held_change_from_the_providers_page_keeps_the_service(staff, held_change):
    staff.post(f"/staff/providers/changes/{held_change.pk}/reject/", {"reason": "no"})

    held_change.refresh_from_db()
    held_change.service.refresh_from_db()
    assert held_change.state == "rejected" and held_change.service.refill is True
    assert "service_change.reject" in audit_actions()


def test_a_held_change_is_not_decided_without_a_reason(staff, held_change):
    staff.post(f"/staff/providers/changes/{held_change.pk}/accept/", {"reason": ""})

    held_change.refresh_from_db()
    assert held_change.state == "pending" and audit_actions() == []


def test_a_moderator_cannot_accept_a_held_change(client, held_change):
    client.force_login(staff_member("moderator"))

    response = client.post(f"/staff/providers/changes/{held_change.pk}/accept/", {"reason": "x"})

    held_change.refresh_from_db()
    assert response.status_code in (302, 403) and held_change.state == "pending"
