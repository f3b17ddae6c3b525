"""Deposits through payment gateways: request, confirm (credits exactly once), reject,
and amounts refused with nothing written."""

import threading

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.test import override_settings

from smmpanel.accounts.models import User
from smmpanel.billing import gateways
from smmpanel.billing.deposits import (
    MAX_PENDING_DEPOSITS,
    DepositAlreadyDecided,
    DepositRefused,
    NotAllowed,
    confirm_deposit,
    reject_deposit,
    request_deposit,
)
from smmpanel.billing.models import DepositRequest, HeldCredit, LedgerEntry
from smmpanel.billing.selectors import balance_of
from smmpanel.billing.services import set_frozen
from smmpanel.money import to_micros
from smmpanel.policy.services import close_balance_review, open_balance_review
from tests.factories import make_user


@pytest.fixture
def staff_member(db):
    return make_user(role=User.Role.STAFF)


@pytest.fixture
def pending(customer):
    return request_deposit(customer, "manual", "25.50")


def deposits_of(user) -> int:
    return LedgerEntry.objects.filter(user=user, kind="deposit").count()


# --- request ---------------------------------------------------------------------------


def test_a_request_is_pending_with_a_reference_and_moves_no_money(customer):
    before = balance_of(customer)

    deposit = request_deposit(customer, "manual", "25.50")

    assert deposit.status == DepositRequest.Status.PENDING
    assert deposit.amount_micros == to_micros("25.50")
    assert deposit.reference.startswith("D") and len(deposit.reference) == 10
    assert (deposit.gateway, deposit.currency) == ("manual", "USD")
    assert balance_of(customer) == before


def test_references_are_unique_per_request(customer):
    first = request_deposit(customer, "manual", "10")
    second = request_deposit(customer, "manual", "10")
    assert first.reference != second.reference


def test_a_decimal_comma_is_read_as_a_decimal_point(customer):
    assert request_deposit(customer, "manual", "25,5").amount_micros == to_micros("25.50")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("", "Enter the amount to deposit."),
        ("ten", "Enter the amount as a number, for example 25 or 25.50."),
        ("1e3", "Enter the amount as a number, for example 25 or 25.50."),
        ("NaN", "Enter the amount as a number, for example 25 or 25.50."),
        ("١٢", "Enter the amount as a number, for example 25 or 25.50."),
        ("1,000.00", "Enter the amount as a number, for example 25 or 25.50."),
        ("0", "The amount must be greater than zero."),
        ("-5", "The amount must be greater than zero."),
        ("25.505", "Use at most two decimals, for example 25.50."),
        ("25.0000001", "Use at most two decimals, for example 25.50."),
        ("0.99", "The minimum deposit is 1.00 USD."),
        ("10000.01", "The maximum single deposit is 10000.00 USD."),
    ],
)
def test_invalid_amounts_are_refused_with_nothing_written(customer, amount, message):
    before = (balance_of(customer), LedgerEntry.objects.count())

    with pytest.raises(DepositRefused) as refused:
        request_deposit(customer, "manual", amount)

    assert (refused.value.message, refused.value.field) == (message, "amount")
    assert not DepositRequest.objects.exists()
    assert (balance_of(customer), LedgerEntry.objects.count()) == before


@override_settings(MIN_DEPOSIT="5.00")
def test_the_minimum_comes_from_settings(customer):
    with pytest.raises(DepositRefused, match="minimum deposit is 5.00 USD"):
        request_deposit(customer, "manual", "4.99")


def test_a_gateway_that_is_not_enabled_is_refused(customer):
    with pytest.raises(DepositRefused) as refused:
        request_deposit(customer, "paypal", "25")
    assert refused.value.field == "gateway"
    assert not DepositRequest.objects.exists()


def test_too_many_waiting_requests_are_refused(customer):
    for _ in range(MAX_PENDING_DEPOSITS):
        request_deposit(customer, "manual", "10")

    with pytest.raises(DepositRefused, match="waiting to be checked"):
        request_deposit(customer, "manual", "10")
    assert DepositRequest.objects.count() == MAX_PENDING_DEPOSITS


# --- confirm ---------------------------------------------------------------------------


def test_confirming_credits_the_amount_with_one_ledger_deposit(customer, pending, staff_member):
    before = balance_of(customer)

    confirmed = confirm_deposit(pending, actor=staff_member, note="bank tx 991")

    assert confirmed.status == DepositRequest.Status.CONFIRMED
    assert (confirmed.decided_by, confirmed.note) == (staff_member, "bank tx 991")
    assert balance_of(customer) == before + to_micros("25.50")
    entry = confirmed.ledger_entry
    assert (entry.kind, entry.amount_micros, entry.created_by) == (
        "deposit",
        to_micros("25.50"),
        staff_member,
    )
    assert pending.reference in entry.memo


def test_confirming_twice_credits_once(customer, pending, staff_member):
    before = (balance_of(customer), deposits_of(customer))
    confirm_deposit(pending, actor=staff_member)

    with pytest.raises(DepositAlreadyDecided):
        confirm_deposit(pending, actor=staff_member)  # a stale copy, as a double click sends

    assert balance_of(customer) == before[0] + to_micros("25.50")
    assert deposits_of(customer) == before[1] + 1


def test_a_customer_cannot_confirm_a_manual_deposit(customer, pending):
    with pytest.raises(NotAllowed):
        confirm_deposit(pending, actor=customer)
    pending.refresh_from_db()
    assert pending.status == DepositRequest.Status.PENDING


def test_a_manual_deposit_is_confirmed_once_by_staff(customer, pending, staff_member):
    assert gateways.gateway_of(pending).staff_confirms
    confirm_deposit(pending, actor=staff_member)
    with pytest.raises(DepositAlreadyDecided):
        confirm_deposit(pending, actor=staff_member)
    assert deposits_of(customer) == 2  # the factory's test deposit and this one


def test_a_deposit_confirmed_under_balance_review_is_held(customer, pending, staff_member):
    set_frozen(customer, True)
    before = balance_of(customer)

    confirmed = confirm_deposit(pending, actor=staff_member)

    assert confirmed.ledger_entry is None
    assert confirmed.held_credit == HeldCredit.objects.get(user=customer)
    assert balance_of(customer) == before


def under_review(customer, staff_member):
    return open_balance_review(customer, reason="payment check", actor=staff_member)


def close(review, staff_member) -> None:
    close_balance_review(review, actor=staff_member, reason="payment is fine")


def test_a_held_deposit_is_linked_to_its_ledger_entry_when_released(
    customer, pending, staff_member
):
    review = under_review(customer, staff_member)
    held = confirm_deposit(pending, actor=staff_member)
    before = balance_of(customer)

    close(review, staff_member)

    held.refresh_from_db()
    entry = held.ledger_entry
    assert entry is not None
    assert (entry.kind, entry.amount_micros) == ("deposit", to_micros("25.50"))
    assert balance_of(customer) == before + to_micros("25.50")
    assert pending.reference in entry.memo
    assert held.held_credit.released_at is not None  # still shows it waited


def test_a_released_deposit_entry_names_who_confirmed_it(customer, pending, staff_member):
    review = under_review(customer, staff_member)
    confirm_deposit(pending, actor=staff_member)

    close(review, staff_member)

    pending.refresh_from_db()
    assert pending.ledger_entry.created_by == staff_member


def test_each_held_deposit_is_linked_to_its_own_entry(customer, staff_member):
    first = request_deposit(customer, "manual", "10")
    second = request_deposit(customer, "manual", "20")
    review = under_review(customer, staff_member)
    confirm_deposit(first, actor=staff_member)
    confirm_deposit(second, actor=staff_member)

    close(review, staff_member)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.ledger_entry.amount_micros == to_micros("10")
    assert second.ledger_entry.amount_micros == to_micros("20")


@pytest.mark.django_db(transaction=True)
def test_racing_confirmations_credit_once():
    customer = make_user("100")
    staff = make_user(role=User.Role.STAFF)
    deposit = request_deposit(customer, "manual", "40")
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def run() -> None:
        try:
            barrier.wait(timeout=60)
            confirm_deposit(deposit.pk, actor=staff)
            outcomes.append("credited")
        except DepositAlreadyDecided:
            outcomes.append("already")
        except Exception as exc:  # reported to the test
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert sorted(outcomes) == ["already", "already", "already", "credited"]
    assert balance_of(customer) == to_micros("140")


# --- reject ----------------------------------------------------------------------------


def test_rejecting_keeps_the_reason_and_moves_no_money(customer, pending, staff_member):
    before = (balance_of(customer), LedgerEntry.objects.count())

    rejected = reject_deposit(pending, actor=staff_member, reason="no transfer arrived")

    assert rejected.status == DepositRequest.Status.REJECTED
    assert (rejected.note, rejected.decided_by) == ("no transfer arrived", staff_member)
    assert (balance_of(customer), LedgerEntry.objects.count()) == before


def test_rejecting_needs_a_reason(pending, staff_member):
    with pytest.raises(ValueError):
        reject_deposit(pending, actor=staff_member, reason="  ")
    pending.refresh_from_db()
    assert pending.status == DepositRequest.Status.PENDING


def test_a_rejected_deposit_cannot_be_confirmed(customer, pending, staff_member):
    reject_deposit(pending, actor=staff_member, reason="duplicate request")
    before = balance_of(customer)

    with pytest.raises(DepositAlreadyDecided):
        confirm_deposit(pending, actor=staff_member)

    assert balance_of(customer) == before


# --- registry --------------------------------------------------------------------------


def test_the_manual_gateway_is_enabled_by_default(db):
    assert [g.code for g in gateways.enabled_gateways()] == ["manual"]


@override_settings(MANUAL_PAYMENT_INSTRUCTIONS="IBAN UA00 0000; quote the reference")
def test_manual_instructions_come_from_settings(db):  # the settings page may hold them
    assert gateways.enabled_gateway("manual").instructions == "IBAN UA00 0000; quote the reference"


@override_settings(PAYMENT_GATEWAYS=["manual", "bitcoin"])
def test_an_unknown_gateway_in_settings_is_a_configuration_error(db):
    with pytest.raises(ImproperlyConfigured, match="bitcoin"):
        gateways.enabled_gateways()


@override_settings(PAYMENT_GATEWAYS=["smmpanel.billing.gateways.ManualGateway"])
def test_a_gateway_can_be_named_by_its_dotted_path(db):
    assert [g.code for g in gateways.enabled_gateways()] == ["manual"]
