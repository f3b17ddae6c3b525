"""Providers' services against a real simulator over HTTP: adding a provider, its
balance, importing its services with a markup and keeping them in line with its offer."""

from dataclasses import replace
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from smmpanel.audit.models import Decision
from smmpanel.audit.services import SYSTEM
from smmpanel.catalog.demo_catalog import DEMO_SERVICES
from smmpanel.catalog.models import Service, ServiceUpdate
from smmpanel.fulfilment.forwarding import forward_submission
from smmpanel.money import to_micros
from smmpanel.providers.models import Provider, ServiceRoute, Submission
from smmpanel.providers.secrets import unseal
from smmpanel.providers.services import (
    ProviderNameTaken,
    add_provider,
    add_provider_from_console,
    import_services,
    refresh_balance,
    refresh_catalogs,
    route_unrouted_services,
    sync_services,
)
from smmpanel.providers.simulator.catalog import Catalog
from smmpanel.providers.url_safety import UnsafeProviderUrl
from tests.factories import make_order, make_service, make_user
from tests.providers.conftest import SIM_KEY, control, route

MARKUP = Decimal("25")
SIM_LIKES = "1"  # Instagram Likes — 30 days refill: rate 0.60, min 50, max 10000
SIM_VIEWS = "9"  # TikTok Views — instant: rate 0.012, min 100, max 10000000


def offer_changed(sim, service_id: str, **changes) -> None:
    """Change one service of the simulator's catalog in place (``withdrawn=True``: drop it)."""
    services = list(sim.app.catalog.by_id.values())
    if changes.get("withdrawn"):
        services = [s for s in services if s.id != int(service_id)]
    else:
        services = [replace(s, **changes) if s.id == int(service_id) else s for s in services]
    sim.app.catalog = Catalog(services)


@pytest.fixture
def imported(provider) -> Service:
    """Simulator service 1 imported with a 25 % markup: our rate 0.75."""
    [service] = import_services(provider, markup_percent=MARKUP, only={SIM_LIKES}).created
    return service


# -- adding a provider and its balance ---------------------------------------------------


def test_add_provider_keeps_the_key_sealed_and_shows_only_its_last_four(db, sim):
    provider = add_provider("Sim", sim.url, "secret-key-1234", allow_private=True)

    assert provider.api_key_last4 == "1234"
    assert "secret-key-1234" not in provider.api_key_sealed
    assert unseal(provider.api_key_sealed) == "secret-key-1234"


def test_add_provider_refuses_a_loopback_url_unless_allowed(db, sim):
    with pytest.raises(UnsafeProviderUrl):
        add_provider("Sim", sim.url, SIM_KEY)

    assert not Provider.objects.exists()


def test_a_provider_added_from_the_console_is_audited_as_a_system_change_without_its_key(db):
    provider = add_provider_from_console(
        "Upstream", "http://127.0.0.1:8001/api/v2", "secret-key-1234", allow_private=True
    )

    record = Decision.objects.get(rule_code="provider.add")
    assert record.actor is None and record.point == SYSTEM
    assert record.inputs == {"provider": provider.pk}
    assert record.reason == "provider Upstream added from the console: http://127.0.0.1:8001/api/v2"
    assert "secret-key" not in record.reason


def test_a_provider_name_taken_is_refused_from_the_console_and_adds_nothing(db):
    add_provider_from_console("Upstream", "https://203.0.114.10/api/v2", "k")

    with pytest.raises(ProviderNameTaken, match="'Upstream' already exists"):
        add_provider_from_console("Upstream", "https://203.0.114.11/api/v2", "k")

    assert Provider.objects.count() == 1 and Decision.objects.count() == 1


def test_an_unsafe_url_from_the_console_adds_nothing_and_audits_nothing(db):
    with pytest.raises(UnsafeProviderUrl):
        add_provider_from_console("Upstream", "http://127.0.0.1:8001/api/v2", "k")

    assert not Provider.objects.exists() and not Decision.objects.exists()


def test_refresh_balance_stores_the_providers_balance(provider):
    refresh_balance(provider)

    provider.refresh_from_db()
    assert provider.balance_micros == to_micros("1000")
    assert provider.balance_currency == "USD"
    assert provider.balance_checked_at is not None


def test_refresh_balance_follows_what_orders_cost_upstream(provider):
    service = make_service()
    route(service, provider)
    order = make_order(make_user("100"), service, quantity=1000)
    forward_submission(Submission.objects.get(order=order).pk)

    refresh_balance(provider)

    provider.refresh_from_db()
    assert provider.balance_micros == to_micros("999.40")  # 1000 × 0.60 / 1000 spent


def test_refresh_balance_failure_keeps_the_last_balance_and_records_the_error(provider, sim):
    refresh_balance(provider)
    control(sim, fault="garbage", actions=["balance"], count=1)

    refresh_balance(provider)

    provider.refresh_from_db()
    assert provider.balance_micros == to_micros("1000")
    assert "not valid JSON" in provider.last_error


# -- import ----------------------------------------------------------------------------------


def test_import_services_prices_at_cost_plus_markup(provider):
    result = import_services(provider, markup_percent=MARKUP, only={SIM_LIKES, SIM_VIEWS})

    rates = {
        s.routes.get().provider_service_id: s.rate_micros
        for s in Service.objects.filter(pk__in=[s.pk for s in result.created])
    }
    assert rates == {SIM_LIKES: to_micros("0.75"), SIM_VIEWS: to_micros("0.015")}


def test_imported_service_is_routed_to_the_provider_with_its_cost(imported, provider):
    route_ = imported.routes.get()

    assert route_.provider == provider
    assert route_.provider_service_id == SIM_LIKES
    assert route_.cost_micros == to_micros("0.60")
    assert route_.markup_percent == MARKUP


def test_imported_service_copies_limits_and_flags(imported):
    assert (imported.min_quantity, imported.max_quantity) == (50, 10000)
    assert (imported.refill, imported.cancel, imported.dripfeed) == (True, True, True)
    assert imported.type == "default"
    assert imported.category.platform.name == "Instagram"


def test_imported_service_is_announced_as_created(imported):
    [update] = ServiceUpdate.objects.filter(service=imported)

    assert update.kind == ServiceUpdate.Kind.CREATED


def test_import_skips_services_already_routed(imported, provider):
    again = import_services(provider, markup_percent=MARKUP, only={SIM_LIKES})

    assert again.created == []
    assert ServiceRoute.objects.filter(provider=provider).count() == 1


def test_import_of_the_whole_catalog_creates_one_service_per_offer(provider, sim):
    result = import_services(provider, markup_percent=MARKUP)

    assert len(result.created) == len(sim.app.catalog) == 22
    assert all(s.name.startswith("[SIMULATOR] ") for s in result.created)


# -- sync ------------------------------------------------------------------------------------


def test_sync_services_pauses_a_service_whose_cost_rises_above_its_price(imported, provider, sim):
    offer_changed(sim, SIM_LIKES, rate="0.90")

    assert sync_services(provider)["paused"] == 1

    imported.refresh_from_db()
    assert imported.active is False
    assert imported.rate_micros == to_micros("0.75")  # our price stays as staff set it
    assert imported.updates.filter(kind=ServiceUpdate.Kind.DISABLED).count() == 1
    assert imported.routes.get().cost_micros == to_micros("0.90")


def test_sync_services_keeps_selling_when_the_cost_stays_below_the_price(imported, provider, sim):
    offer_changed(sim, SIM_LIKES, rate="0.70")

    assert sync_services(provider)["paused"] == 0

    imported.refresh_from_db()
    assert imported.active is True
    assert imported.routes.get().cost_micros == to_micros("0.70")


def test_sync_services_pauses_a_withdrawn_service(imported, provider, sim):
    offer_changed(sim, SIM_LIKES, withdrawn=True)

    assert sync_services(provider)["paused"] == 1

    imported.refresh_from_db()
    assert imported.active is False
    assert imported.routes.get().active is False
    assert imported.updates.filter(kind=ServiceUpdate.Kind.DISABLED).count() == 1


def test_sync_services_follows_the_providers_limits_as_service_updates(imported, provider, sim):
    offer_changed(sim, SIM_LIKES, min=100, max=5000)

    assert sync_services(provider)["updated"] == 1

    imported.refresh_from_db()
    assert (imported.min_quantity, imported.max_quantity) == (100, 5000)
    kinds = set(imported.updates.values_list("kind", flat=True))
    assert {ServiceUpdate.Kind.MIN, ServiceUpdate.Kind.MAX} <= kinds


def test_sync_services_with_an_unchanged_offer_records_nothing(imported, provider):
    assert sync_services(provider) == {"updated": 0, "paused": 0}

    assert imported.updates.count() == 1  # just "created"


def test_fallback_route_cost_rise_does_not_pause_the_service(provider, provider_b, sim_b):
    service = make_service(rate_micros=to_micros("0.90"))
    route(service, provider, SIM_LIKES, priority=0)
    route(service, provider_b, SIM_LIKES, priority=1)
    offer_changed(sim_b, SIM_LIKES, rate="5.00")

    assert sync_services(provider_b)["paused"] == 0

    service.refresh_from_db()
    assert service.active is True


# -- numbers no column holds (issue 23, item 6) ----------------------------------------------

HUGE_MAX = 5_000_000_000  # beyond a PositiveIntegerField on PostgreSQL (2147483647)
HUGE_RATE = "1000000000000000"  # per 1000: in micros beyond a BigIntegerField


def test_sync_services_keeps_a_service_whose_offer_announces_a_max_no_column_holds(
    imported, provider, sim
):
    offer_changed(sim, SIM_LIKES, max=HUGE_MAX)

    sync_services(provider)

    imported.refresh_from_db()
    assert imported.max_quantity == 10000
    assert not imported.updates.filter(kind=ServiceUpdate.Kind.MAX).exists()


def test_sync_services_keeps_the_refused_values_on_the_provider(imported, provider, sim):
    offer_changed(sim, SIM_LIKES, max=HUGE_MAX)

    sync_services(provider)

    provider.refresh_from_db()
    [refused] = provider.refused_values
    assert (refused["service"], refused["field"], refused["value"]) == (
        SIM_LIKES,
        "max",
        str(HUGE_MAX),
    )
    assert refused["high"] == "2147483647"


def test_a_later_sync_with_numbers_that_fit_clears_the_refused_values(imported, provider, sim):
    offer_changed(sim, SIM_LIKES, max=HUGE_MAX)
    sync_services(provider)
    offer_changed(sim, SIM_LIKES, max=20000)

    sync_services(provider)

    provider.refresh_from_db()
    imported.refresh_from_db()
    assert provider.refused_values == []
    assert imported.max_quantity == 20000


def test_import_skips_an_offer_whose_numbers_no_column_holds(provider, sim):
    offer_changed(sim, SIM_LIKES, max=HUGE_MAX)

    result = import_services(provider, markup_percent=MARKUP, only={SIM_LIKES})

    assert result.created == [] and not Service.objects.exists()
    assert [r["field"] for r in result.refused] == ["max"]


def test_the_hourly_catalog_sync_goes_on_after_a_provider_whose_rate_no_column_holds(
    provider, provider_b, sim, sim_b
):
    first, second = make_service(), make_service()
    route(first, provider)  # "Simulator A": synced before "Simulator B"
    route(second, provider_b)
    offer_changed(sim, SIM_LIKES, rate=HUGE_RATE)
    offer_changed(sim_b, SIM_LIKES, rate="5.00")  # above our 0.90: pauses the service

    refresh_catalogs()

    second.refresh_from_db()
    first.refresh_from_db()
    assert second.active is False
    assert first.active is True and first.routes.get().cost_micros == to_micros("0.60")


# -- routing the demo catalog ----------------------------------------------------------------


def test_route_unrouted_services_picks_an_offer_covering_the_limits(provider):
    service = make_service(min_quantity=100, max_quantity=5000)

    assert route_unrouted_services(provider) == 1

    route_ = service.routes.get()
    assert route_.provider == provider
    assert route_.provider_service_id == "1"  # Instagram Likes with refill like ours, 100–5000


def test_route_unrouted_services_routes_each_demo_service_to_the_simulator_service_selling_it(
    provider,
):
    call_command("seed_demo", stdout=StringIO())

    assert route_unrouted_services(provider) == len(DEMO_SERVICES)

    # The simulator's catalog follows the demo catalog in the same order (its docstring).
    routed = dict(ServiceRoute.objects.values_list("service__name", "provider_service_id"))
    assert routed == {row[2]: str(n) for n, row in enumerate(DEMO_SERVICES, start=1)}


def test_the_catalog_sync_after_routing_the_demo_catalog_changes_no_service(provider):
    call_command("seed_demo", stdout=StringIO())
    route_unrouted_services(provider)

    counts = sync_services(provider)

    assert counts == {"updated": 0, "paused": 0}
    assert not ServiceUpdate.objects.exclude(kind=ServiceUpdate.Kind.CREATED).exists()


def test_route_unrouted_services_never_routes_to_another_platform(provider):
    make_service(name="Facebook Page Likes", platform="Facebook")

    assert route_unrouted_services(provider) == 0


def test_route_unrouted_services_never_routes_to_another_kind(provider, sim):
    make_service(name="Instagram Followers", min_quantity=100, max_quantity=10000)
    offer_changed(sim, "3", withdrawn=True)  # the simulator's only Instagram Followers

    assert route_unrouted_services(provider) == 0


def test_the_hourly_catalog_sync_pauses_a_service_whose_cost_rose(imported, provider, sim):
    offer_changed(sim, SIM_LIKES, rate="0.90")

    outcome = refresh_catalogs()

    imported.refresh_from_db()
    assert outcome == {provider.name: "1 updated, 1 paused"}  # the pause is the update
    assert imported.active is False


def test_the_hourly_catalog_sync_records_a_provider_that_fails(imported, provider, sim):
    Provider.objects.filter(pk=provider.pk).update(api_url="http://127.0.0.1:9/api/v2")

    outcome = refresh_catalogs()

    provider.refresh_from_db()
    assert outcome[provider.name].startswith("failed:")
    assert provider.last_error
