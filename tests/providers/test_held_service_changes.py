"""A catalog sync that would break what a service's name promises — its refill, the
refill period, the limits it names — holds the change for staff instead of applying and
publishing it; staff accept (applied, published, audited) or reject (audited, the
service kept as it is). Against a real simulator over HTTP (issue 16, item 4)."""

from dataclasses import replace

import pytest

from smmpanel.accounts.models import User
from smmpanel.audit.models import Decision
from smmpanel.catalog.models import Service, ServiceUpdate
from smmpanel.providers.models import PendingServiceChange
from smmpanel.providers.services import (
    ChangeNotOpen,
    accept_service_change,
    import_services,
    reject_service_change,
    sync_services,
)
from smmpanel.providers.simulator.catalog import Catalog
from tests.factories import make_service, make_staff
from tests.providers.conftest import route

SIM_LIKES = "1"  # "[SIMULATOR] Instagram Likes — 30 days refill": min 50, max 10000, refill
REFILL_UPDATES = {"kind": ServiceUpdate.Kind.REFILL}


def offer_changed(sim, service_id: str, **changes) -> None:
    """Change one service of the simulator's catalog in place."""
    sim.app.catalog = Catalog(
        [
            replace(s, **changes) if s.id == int(service_id) else s
            for s in sim.app.catalog.by_id.values()
        ]
    )


@pytest.fixture
def likes(provider) -> Service:
    """The simulator's "Instagram Likes — 30 days refill", imported: refill on."""
    [service] = import_services(provider, markup_percent=25, only={SIM_LIKES}).created
    return service


def held() -> list[PendingServiceChange]:
    return list(PendingServiceChange.objects.filter(state=PendingServiceChange.State.PENDING))


@pytest.fixture
def owner(db) -> User:
    return make_staff(User.StaffRole.OWNER)


# -- the sync holds what breaks a promise --------------------------------------------------------


def test_a_sync_taking_away_a_promised_refill_leaves_the_refill_on(likes, provider, sim):
    offer_changed(sim, SIM_LIKES, refill=False)

    sync_services(provider)

    likes.refresh_from_db()
    assert likes.refill is True
    assert not likes.updates.filter(**REFILL_UPDATES).exists()


def test_a_sync_taking_away_a_promised_refill_holds_the_change_for_staff(likes, provider, sim):
    offer_changed(sim, SIM_LIKES, refill=False)

    sync_services(provider)

    [change] = held()
    assert (change.service, change.provider) == (likes, provider)
    assert (change.changes, change.before) == ({"refill": False}, {"refill": True})


def test_a_sync_shortening_a_promised_refill_period_holds_the_shorter_period(likes, provider, sim):
    offer_changed(sim, SIM_LIKES, name="[SIMULATOR] Instagram Likes — 7 days refill")

    sync_services(provider)

    [change] = held()
    assert change.changes == {"refill_days": 7}


def test_a_sync_moving_a_limit_past_the_named_range_holds_the_limits(provider, sim):
    service = make_service(name="Instagram Likes 50-10K", min_quantity=50, max_quantity=10000)
    route(service, provider)
    offer_changed(sim, SIM_LIKES, max=5000)

    sync_services(provider)

    service.refresh_from_db()
    assert service.max_quantity == 10000
    assert not service.updates.filter(kind=ServiceUpdate.Kind.MAX).exists()
    assert [c.changes for c in held()] == [{"max_quantity": 5000}]


def test_a_sync_lowering_a_named_max_holds_it(provider, sim):
    service = make_service(name="Instagram Likes max 10K", min_quantity=50, max_quantity=10000)
    route(service, provider)
    offer_changed(sim, SIM_LIKES, max=8000)

    sync_services(provider)

    assert [c.changes for c in held()] == [{"max_quantity": 8000}]


def test_the_rest_of_a_sync_goes_live_beside_a_held_refill(likes, provider, sim):
    offer_changed(sim, SIM_LIKES, refill=False, max=5000)

    sync_services(provider)

    likes.refresh_from_db()
    assert (likes.refill, likes.max_quantity) == (True, 5000)
    assert likes.updates.filter(kind=ServiceUpdate.Kind.MAX).exists()


def test_a_sync_of_a_service_whose_name_promises_no_refill_applies_it(provider, sim):
    service = make_service(name="Instagram Likes", refill=True)
    route(service, provider)
    offer_changed(sim, SIM_LIKES, refill=False)

    sync_services(provider)

    service.refresh_from_db()
    assert service.refill is False and held() == []


def test_a_later_sync_with_the_same_values_keeps_one_held_change(likes, provider, sim):
    offer_changed(sim, SIM_LIKES, refill=False)

    sync_services(provider)
    sync_services(provider)

    assert PendingServiceChange.objects.count() == 1


def test_a_later_sync_with_other_values_replaces_the_held_ones(provider, sim):
    service = make_service(name="Instagram Likes 50-10K", min_quantity=50, max_quantity=10000)
    route(service, provider)
    offer_changed(sim, SIM_LIKES, max=5000)
    sync_services(provider)
    offer_changed(sim, SIM_LIKES, max=4000)

    sync_services(provider)

    assert [c.changes for c in held()] == [{"max_quantity": 4000}]


def test_a_sync_restoring_the_promise_drops_the_held_change(likes, provider, sim):
    offer_changed(sim, SIM_LIKES, refill=False)
    sync_services(provider)
    offer_changed(sim, SIM_LIKES, refill=True)

    sync_services(provider)

    assert not PendingServiceChange.objects.exists()


def test_a_rejected_change_is_not_held_again_by_a_later_sync(likes, provider, sim, owner):
    offer_changed(sim, SIM_LIKES, refill=False)
    sync_services(provider)
    reject_service_change(held()[0], actor=owner, reason="the provider's refill comes back")

    sync_services(provider)

    assert held() == []
    likes.refresh_from_db()
    assert likes.refill is True


# -- staff decide ---------------------------------------------------------------------------------


@pytest.fixture
def refill_held(likes, provider, sim) -> PendingServiceChange:
    offer_changed(sim, SIM_LIKES, refill=False)
    sync_services(provider)
    [change] = held()
    return change


def test_accepting_a_held_change_applies_it(refill_held, likes, owner):
    accept_service_change(refill_held, actor=owner, reason="provider dropped refill")

    likes.refresh_from_db()
    assert likes.refill is False


def test_accepting_a_held_change_publishes_it_on_the_updates_page(refill_held, likes, owner):
    accept_service_change(refill_held, actor=owner, reason="provider dropped refill")

    [update] = likes.updates.filter(**REFILL_UPDATES)
    assert update.new_value == "no refill"


def test_accepting_a_held_change_is_audited_with_who_and_why(refill_held, owner):
    accept_service_change(refill_held, actor=owner, reason="provider dropped refill")

    record = Decision.objects.get(rule_code="service_change.accept")
    assert record.actor == owner and "provider dropped refill" in record.reason
    refill_held.refresh_from_db()
    assert (refill_held.state, refill_held.decided_by) == ("accepted", owner)


def test_rejecting_a_held_change_keeps_the_service_as_it_is(refill_held, likes, owner):
    reject_service_change(refill_held, actor=owner, reason="we keep our promise")

    likes.refresh_from_db()
    assert likes.refill is True
    assert not likes.updates.filter(**REFILL_UPDATES).exists()


def test_rejecting_a_held_change_is_audited_with_who_and_why(refill_held, owner):
    reject_service_change(refill_held, actor=owner, reason="we keep our promise")

    record = Decision.objects.get(rule_code="service_change.reject")
    assert record.actor == owner and "we keep our promise" in record.reason


def test_a_held_change_is_decided_once(refill_held, likes, owner):
    reject_service_change(refill_held, actor=owner, reason="no")

    with pytest.raises(ChangeNotOpen):
        accept_service_change(refill_held, actor=owner, reason="yes after all")

    likes.refresh_from_db()
    assert likes.refill is True
