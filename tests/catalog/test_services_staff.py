"""Staff actions on the catalog (``catalog.services``): every change audited, public
changes recorded as service updates, bulk percentage maths, reordering."""

from decimal import Decimal

import pytest

from smmpanel.accounts.models import User
from smmpanel.audit.models import Decision
from smmpanel.catalog.models import Category, Service, ServiceUpdate
from smmpanel.catalog.services import (
    change_rates_by_percent,
    create_category,
    move_category,
    move_service,
    scale_rate,
    set_service_active,
    staff_update_service,
    update_category,
)
from smmpanel.money import to_micros
from tests.factories import make_service, make_user


@pytest.fixture
def owner(db):
    return make_user(role=User.Role.STAFF)


def audited(action: str) -> list[Decision]:
    return list(Decision.objects.filter(rule_code=action))


# -- percentage maths ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "percent", "expected"),
    [
        (900_000, "10", 990_000),
        (1_000_005, "10", 1_100_006),  # 1 100 005.5 rounds half-up
        (1_000_004, "10", 1_100_004),  # 1 100 004.4 rounds down
        (333_333, "-5", 316_666),  # 316 666.35
        (3, "50", 5),  # 4.5 → 5
        (1_000_000, "12.34", 1_123_400),
        (0, "25", 0),
    ],
)
def test_scale_rate_rounds_half_up_to_a_micro(rate, percent, expected):
    assert scale_rate(rate, Decimal(percent)) == expected


def test_scale_rate_refuses_more_than_two_decimals():
    with pytest.raises(ValueError):
        scale_rate(1_000_000, Decimal("1.005"))


def test_scale_rate_refuses_a_fall_of_a_hundred_percent():
    with pytest.raises(ValueError):
        scale_rate(1_000_000, Decimal("-100"))


# -- edits -----------------------------------------------------------------------------------


def test_a_rate_change_is_a_public_update(owner):
    service = make_service(rate_micros=to_micros("0.90"))
    staff_update_service(service, actor=owner, rate_micros=to_micros("1.20"))
    update = service.updates.get(kind=ServiceUpdate.Kind.RATE)
    assert (update.old_value, update.new_value) == ("0.90", "1.20")


def test_a_change_is_audited_with_its_actor_and_values(owner):
    service = make_service(rate_micros=to_micros("0.90"))
    staff_update_service(service, actor=owner, note="supplier raise", rate_micros=1_200_000)
    [entry] = audited("service.update")
    assert entry.actor == owner and entry.inputs == {"service": service.pk}
    assert entry.reason == "supplier raise: rate_micros 0.90 → 1.20"


def test_a_private_change_is_audited_but_not_public(owner):
    service = make_service(name="Old name")
    staff_update_service(service, actor=owner, name="New name")
    assert len(audited("service.update")) == 1
    assert not service.updates.exclude(kind=ServiceUpdate.Kind.CREATED).exists()


def test_saving_unchanged_fields_records_nothing(owner):
    service = make_service()
    assert staff_update_service(service, actor=owner, name=service.name) == []
    assert audited("service.update") == []


def test_disabling_is_a_public_update(owner):
    service = make_service()
    set_service_active(service, False, actor=owner)
    assert service.updates.filter(kind=ServiceUpdate.Kind.DISABLED).exists()


# -- bulk ------------------------------------------------------------------------------------


def test_bulk_percentage_changes_each_rate(owner):
    a, b = make_service(rate_micros=900_000), make_service(rate_micros=1_000_005)
    change_rates_by_percent([a, b], Decimal("10"), actor=owner)
    rates = Service.objects.filter(pk__in=[a.pk, b.pk]).order_by("pk")
    assert list(rates.values_list("rate_micros", flat=True)) == [990_000, 1_100_006]


def test_bulk_percentage_is_one_public_update_and_one_audit_entry_per_service(owner):
    services = [make_service(), make_service()]
    change_rates_by_percent(services, Decimal("-10"), actor=owner)
    assert ServiceUpdate.objects.filter(kind=ServiceUpdate.Kind.RATE).count() == 2
    assert len(audited("service.update")) == 2


def test_bulk_percentage_skips_a_rate_it_would_not_change(owner):
    free = make_service(rate_micros=0)
    assert change_rates_by_percent([free], Decimal("10"), actor=owner) == []


def test_bulk_percentage_names_the_percentage_in_the_audit_log(owner):
    change_rates_by_percent([make_service(rate_micros=900_000)], Decimal("10"), actor=owner)
    assert audited("service.update")[0].reason.startswith("bulk +10 %")


# -- order -----------------------------------------------------------------------------------


def positions(category_id: int) -> list[int]:
    rows = Service.objects.filter(category_id=category_id).order_by("position", "id")
    return list(rows.values_list("pk", flat=True))


def test_moving_a_service_up_swaps_it_with_the_one_above(owner):
    a, b, c = make_service(), make_service(), make_service()
    assert move_service(c, "up", actor=owner)
    assert positions(a.category_id) == [a.pk, c.pk, b.pk]


def test_moving_the_first_service_up_changes_nothing(owner):
    a, b = make_service(), make_service()
    assert not move_service(a, "up", actor=owner)
    assert positions(a.category_id) == [a.pk, b.pk]


def test_moving_a_service_is_audited(owner):
    a, _ = make_service(), make_service()
    move_service(a, "down", actor=owner)
    assert audited("service.move")[0].inputs == {"service": a.pk}


def test_moving_a_category_down(owner):
    first = create_category("Instagram", "Followers", actor=owner)
    second = create_category("Instagram", "Views", actor=owner)
    move_category(first, "down", actor=owner)
    names = Category.objects.filter(platform=first.platform).order_by("position")
    assert list(names.values_list("pk", flat=True)) == [second.pk, first.pk]


# -- categories ------------------------------------------------------------------------------


def test_creating_a_category_is_audited(owner):
    category = create_category("Threads", "Likes", actor=owner)
    assert audited("category.create")[0].inputs == {"category": category.pk}


def test_creating_an_existing_category_is_refused(owner):
    create_category("Threads", "Likes", actor=owner)
    with pytest.raises(ValueError):
        create_category("Threads", "Likes", actor=owner)


def test_renaming_a_category_keeps_its_services(owner):
    service = make_service()
    update_category(service.category, actor=owner, platform_name="Instagram", name="Hearts")
    service.refresh_from_db()
    assert service.category.name == "Hearts"
