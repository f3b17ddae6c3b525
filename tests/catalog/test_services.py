"""The catalog's change log: every public change to a service is one row of the Updates
page, and nothing else is."""

import pytest
from django.core.exceptions import ValidationError

from smmpanel.catalog.models import Service, ServiceUpdate
from smmpanel.catalog.services import create_service, get_or_create_category, update_service
from smmpanel.money import to_micros
from tests.factories import make_service

pytestmark = pytest.mark.django_db

K = ServiceUpdate.Kind


def updates_of(service) -> list[tuple[str, str, str]]:
    return list(
        ServiceUpdate.objects.filter(service=service)
        .order_by("id")
        .values_list("kind", "old_value", "new_value")
    )


def test_creating_a_service_announces_it_with_its_rate():
    category = get_or_create_category("TikTok", "Views")

    service = create_service(
        category,
        name="TikTok Views",
        type="default",
        rate_micros=to_micros("0.02"),
        min_quantity=100,
        max_quantity=10_000_000,
        link_format="tiktok_video",
    )

    assert updates_of(service) == [(K.CREATED, "", "0.02")]


def test_an_invalid_service_is_not_created_nor_announced():
    category = get_or_create_category("TikTok", "Views")

    with pytest.raises(ValidationError):
        create_service(
            category,
            name="Broken",
            rate_micros=1,
            min_quantity=500,
            max_quantity=100,
            link_format="no_such_format",
        )

    assert not Service.objects.exists() and not ServiceUpdate.objects.exists()


def test_get_or_create_category_reuses_platform_and_category():
    first = get_or_create_category("Instagram", "Likes")

    assert get_or_create_category("Instagram", "Likes") == first
    assert get_or_create_category("Instagram", "Views").platform == first.platform


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"rate_micros": to_micros("1.2")}, [(K.RATE, "0.90", "1.20")]),
        ({"rate_micros": to_micros("0.27819")}, [(K.RATE, "0.90", "0.27819")]),
        ({"min_quantity": 100}, [(K.MIN, "50", "100")]),
        ({"max_quantity": 5000}, [(K.MAX, "10000", "5000")]),
        ({"refill": False}, [(K.REFILL, "30 days", "no refill")]),
        ({"refill_days": 60}, [(K.REFILL, "30 days", "60 days")]),
        ({"active": False}, [(K.DISABLED, "", "")]),
    ],
    ids=["rate", "sub-cent-rate", "min", "max", "refill-off", "refill-period", "disabled"],
)
def test_a_public_change_is_recorded_with_old_and_new_values(change, expected):
    service = make_service()

    returned = update_service(service, **change)

    assert updates_of(service)[1:] == expected
    assert [(u.kind, u.old_value, u.new_value) for u in returned] == expected
    stored = Service.objects.get(pk=service.pk)
    for field, value in change.items():
        assert getattr(stored, field) == value == getattr(service, field)


def test_enabling_a_disabled_service_is_recorded():
    service = make_service(active=False)

    update_service(service, active=True)

    assert updates_of(service)[-1] == (K.ENABLED, "", "")


def test_turning_refill_on_with_a_period_is_one_change():
    service = make_service(refill=False, refill_days=0)

    update_service(service, refill=True, refill_days=45)

    assert updates_of(service)[1:] == [(K.REFILL, "no refill", "45 days")]


def test_several_public_changes_at_once_are_each_recorded():
    service = make_service()

    update_service(service, rate_micros=to_micros("1.00"), min_quantity=10, max_quantity=20_000)

    assert {kind for kind, _, _ in updates_of(service)[1:]} == {K.RATE, K.MIN, K.MAX}


@pytest.mark.parametrize(
    "change",
    [
        {"name": "Renamed"},
        {"description": "Now with pictures"},
        {"speed": "10K/day"},
        {"start_time": "0-5 minutes"},
        {"cancel": False},
        {"position": 7},
    ],
    ids=lambda change: next(iter(change)),
)
def test_an_untracked_field_changes_without_an_update(change):
    service = make_service()

    assert update_service(service, **change) == []

    assert updates_of(service) == [(K.CREATED, "", "0.90")]
    stored = Service.objects.get(pk=service.pk)
    assert {f: getattr(stored, f) for f in change} == change


def test_setting_a_field_to_its_current_value_records_nothing():
    service = make_service()

    update_service(service, rate_micros=service.rate_micros, min_quantity=50, active=True)

    assert updates_of(service) == [(K.CREATED, "", "0.90")]


def test_an_invalid_change_saves_nothing_and_records_nothing():
    service = make_service()

    with pytest.raises(ValidationError):
        update_service(service, min_quantity=20_000, rate_micros=to_micros("5"))

    stored = Service.objects.get(pk=service.pk)
    assert (stored.min_quantity, stored.rate_micros) == (50, to_micros("0.90"))
    assert updates_of(service) == [(K.CREATED, "", "0.90")]


def test_turning_refill_on_with_a_period_returns_the_one_recorded_change():
    service = make_service(refill=False, refill_days=0)

    returned = update_service(service, refill=True, refill_days=45)

    assert [(u.kind, u.old_value, u.new_value) for u in returned] == [
        (K.REFILL, "no refill", "45 days")
    ]
    assert all(u.pk for u in returned)


def test_changing_the_period_of_a_service_without_refill_records_nothing():
    service = make_service(refill=False, refill_days=0)

    assert update_service(service, refill_days=30) == []

    assert updates_of(service) == [(K.CREATED, "", "0.90")]
