"""Staff actions on money (``staff.actions.money``): a balance adjusted by hand is one
ledger entry, audited with the staff member and the reason."""

import pytest

from smmpanel.audit.models import Decision
from smmpanel.billing.models import LedgerEntry
from smmpanel.billing.selectors import balance_of, ledger_mismatches
from smmpanel.money import to_micros
from smmpanel.policy import services as policy
from smmpanel.staff.actions import money as money_actions
from tests.factories import make_user


@pytest.fixture
def shopper(db):
    return make_user("100")


def audit_of(code: str) -> Decision:
    return Decision.objects.get(rule_code=code)


# --- balance adjustment ------------------------------------------------------------------


def test_adding_funds_writes_one_adjustment_entry(shopper, staff):
    before = LedgerEntry.objects.count()
    entry = money_actions.staff_adjust_balance(
        shopper, to_micros("5"), actor=staff, reason="goodwill"
    )
    assert LedgerEntry.objects.count() == before + 1
    assert (entry.kind, entry.amount_micros, entry.memo, entry.created_by) == (
        LedgerEntry.Kind.ADJUSTMENT,
        to_micros("5"),
        "goodwill",
        staff,
    )


def test_an_adjustment_moves_the_balance_and_keeps_the_ledger_clean(shopper, staff):
    money_actions.staff_adjust_balance(
        shopper, -to_micros("30"), actor=staff, reason="double deposit"
    )
    assert balance_of(shopper) == to_micros("70")
    assert not ledger_mismatches()


def test_an_adjustment_is_audited_with_actor_reason_and_amount(shopper, staff):
    money_actions.staff_adjust_balance(shopper, to_micros("5"), actor=staff, reason="goodwill")
    audit = audit_of("balance.adjust")
    assert (audit.actor, audit.user, audit.reason) == (staff, shopper, "goodwill")
    assert audit.inputs["amount"] == to_micros("5")


def test_a_deduction_may_take_the_balance_below_zero(shopper, staff):
    money_actions.staff_adjust_balance(
        shopper, -to_micros("150"), actor=staff, reason="chargeback fee"
    )
    assert balance_of(shopper) == -to_micros("50")


def test_staff_may_adjust_a_balance_under_review(shopper, staff):
    policy.open_balance_review(shopper, reason="disputed", actor=staff)
    money_actions.staff_adjust_balance(shopper, to_micros("1"), actor=staff, reason="correction")
    assert balance_of(shopper) == to_micros("101")


@pytest.mark.parametrize(("amount", "reason"), [(0, "why"), (100, " ")])
def test_an_adjustment_without_amount_or_reason_writes_nothing(shopper, staff, amount, reason):
    before = (LedgerEntry.objects.count(), Decision.objects.count())
    with pytest.raises(ValueError):
        money_actions.staff_adjust_balance(shopper, amount, actor=staff, reason=reason)
    assert (LedgerEntry.objects.count(), Decision.objects.count()) == before
