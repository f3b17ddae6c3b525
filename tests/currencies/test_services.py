"""Display currencies: rates staff set (audited, checked) and amounts converted for
reading only."""

import pytest

from smmpanel.accounts.models import User
from smmpanel.audit.models import Decision
from smmpanel.currencies.selectors import NONE, display_for
from smmpanel.currencies.services import BadRate, choose_display_currency, set_display_rate
from tests.factories import make_staff, make_user


@pytest.fixture
def owner(db):
    return make_staff(User.StaffRole.OWNER)


def test_a_rate_is_set_dated_and_audited(owner):
    rate = set_display_rate("uah", "41,235", actor=owner, panel_currency="USD")
    assert (rate.code, rate.per_unit_scaled, rate.rate_text) == ("UAH", 41_235_000, "41.235")
    record = Decision.objects.get(rule_code="display_rate.set")
    assert record.actor == owner and "41.235" in record.reason and rate.set_at is not None


@pytest.mark.parametrize(
    ("code", "rate"),
    [("USD", "1"), ("UA", "41"), ("U$D", "41"), ("UAH", "0"), ("UAH", "-3"), ("UAH", "abc"),
     ("UAH", "NaN"), ("UAH", "Infinity"), ("UAH", "1e9"), ("UAH", "0.0000001")],
)  # fmt: skip
def test_a_bad_code_or_rate_is_refused_and_changes_nothing(owner, code, rate):
    with pytest.raises(BadRate):
        set_display_rate(code, rate, actor=owner, panel_currency="USD")
    assert not Decision.objects.filter(rule_code="display_rate.set").exists()


def test_amounts_convert_half_up_for_reading(owner):
    set_display_rate("UAH", "41.235", actor=owner, panel_currency="USD")
    user = make_user()
    choose_display_currency(user, "uah")
    display = display_for(user)
    assert display.code == "UAH"
    assert display.convert(10_000_000) == 412_350_000  # 10 USD
    assert display.convert(1) == 41  # 0.000001 USD: 41.235 micro-UAH, half up
    assert display.convert(-10_000_000) == -412_350_000


def test_an_unknown_or_empty_choice_shows_the_panel_currency_only(owner):
    set_display_rate("EUR", "0.92", actor=owner, panel_currency="USD")
    user = make_user()
    choose_display_currency(user, "EUR")
    assert choose_display_currency(user, "XYZ") is None
    assert display_for(user) == NONE and not display_for(None)
