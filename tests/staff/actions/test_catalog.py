"""Staff actions on prices (``staff.actions.catalog``): a customer's own rate or
discount, set and removed with a reason, audited."""

import pytest

from smmpanel.audit.models import Decision
from smmpanel.catalog.models import CustomRate
from smmpanel.money import to_micros
from smmpanel.staff.actions import catalog as price_actions
from tests.factories import make_user


@pytest.fixture
def shopper(db):
    return make_user("100")


def audit_of(code: str) -> Decision:
    return Decision.objects.get(rule_code=code)


# --- own prices --------------------------------------------------------------------------


def test_setting_an_own_price_is_audited(shopper, service, staff):
    price_actions.staff_set_custom_rate(
        shopper, service, actor=staff, reason="reseller deal", rate_micros=to_micros("0.5")
    )
    audit = audit_of("price.custom_rate")
    assert (audit.actor, audit.user, audit.reason) == (staff, shopper, "reseller deal")
    assert audit.inputs == {"service": service.pk, "rate": to_micros("0.5")}


def test_removing_an_own_price_is_audited(shopper, staff):
    rule = price_actions.staff_set_custom_rate(
        shopper, None, actor=staff, reason="promo", discount_bp=500
    )
    price_actions.staff_remove_custom_rate(rule, actor=staff, reason="promo over")
    assert not CustomRate.objects.exists()
    assert audit_of("price.custom_rate_remove").reason == "promo over"


def test_an_own_price_needs_a_reason(shopper, staff):
    with pytest.raises(ValueError):
        price_actions.staff_set_custom_rate(shopper, None, actor=staff, reason="", discount_bp=500)
    assert not CustomRate.objects.exists()
