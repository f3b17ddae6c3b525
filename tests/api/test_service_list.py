"""The ``services`` answer is built once per CATALOG_CACHE_SECONDS in each process and
served encoded; a caller's own prices are put in per request; a saved change to the
catalog shows at once in the process that made it, elsewhere within the cache time."""

import json

import pytest
from django.conf import settings

from smmpanel.api.actions import services as services_action
from smmpanel.catalog import active_catalog
from smmpanel.catalog.models import Service
from smmpanel.catalog.services import set_custom_rate, update_service
from smmpanel.money import to_micros
from tests.factories import make_service, make_user

pytestmark = pytest.mark.django_db


def listed(user) -> dict[int, dict]:
    return {row["service"]: row for row in json.loads(services_action(user, {}))}


@pytest.mark.django_db(transaction=True)  # changes committed, as a staff save is
def test_the_list_is_read_once_then_served_from_memory(django_assert_num_queries):
    make_service()
    user = make_user()
    listed(user)

    with django_assert_num_queries(0):  # nothing: no own prices to look for either
        listed(user)


@pytest.mark.django_db(transaction=True)  # the rule committed, as staff's save is
def test_a_reseller_with_own_prices_pays_one_query_for_them(django_assert_num_queries):
    service = make_service()
    reseller = make_user()
    set_custom_rate(reseller, service, rate_micros=to_micros("0.25"))
    listed(reseller)

    with django_assert_num_queries(1):  # the caller's own prices, nothing else
        listed(reseller)


def test_a_callers_own_price_is_put_into_the_cached_rows():
    service, other = make_service(), make_service()
    reseller = make_user()
    listed(make_user())  # cached at list prices

    set_custom_rate(reseller, service, rate_micros=to_micros("0.25"))
    rows = listed(reseller)

    assert rows[service.pk]["rate"] == "0.25"
    assert rows[other.pk]["rate"] == listed(make_user())[other.pk]["rate"]


def test_a_saved_service_change_shows_at_once():
    service = make_service()
    listed(make_user())

    update_service(service, name="Renamed likes")

    assert listed(make_user())[service.pk]["name"] == "Renamed likes"


@pytest.mark.django_db(transaction=True)  # changes committed, as a staff save is
def test_a_change_made_elsewhere_shows_within_the_cache_time(monkeypatch):
    service = make_service()
    listed(make_user())
    Service.objects.filter(pk=service.pk).update(active=False)  # no signal here

    still = service.pk in listed(make_user())
    now = active_catalog._clock()
    monkeypatch.setattr(active_catalog, "_clock", lambda: now + settings.CATALOG_CACHE_SECONDS + 1)

    assert still
    assert service.pk not in listed(make_user())
