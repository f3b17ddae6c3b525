"""Staff funds pages: confirm or reject manual deposits, record chargebacks."""

import pytest

from smmpanel.accounts.models import User
from smmpanel.billing.deposits import request_deposit
from smmpanel.billing.models import DepositRequest, LedgerEntry
from smmpanel.billing.selectors import balance_of
from smmpanel.money import to_micros
from smmpanel.policy.models import BalanceReview, Restriction
from tests.factories import make_user


@pytest.fixture
def staff(db):
    return make_user(role=User.Role.STAFF)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def pending(customer):
    return request_deposit(customer, "manual", "30")


def test_customers_cannot_open_the_deposits_queue(client, customer):
    client.force_login(customer)
    response = client.get("/staff/funds/deposits/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_customers_cannot_confirm_a_deposit(client, customer, pending):
    client.force_login(customer)
    client.post(f"/staff/funds/deposits/{pending.pk}/confirm/", {"note": ""})
    pending.refresh_from_db()
    assert pending.status == DepositRequest.Status.PENDING


def test_the_queue_lists_pending_deposits(staff_client, pending, customer):
    html = staff_client.get("/staff/funds/deposits/").content.decode()
    assert pending.reference in html and customer.email in html


def test_confirming_via_the_staff_page_credits_once(staff_client, pending, customer, staff):
    before = balance_of(customer)

    for _ in range(2):  # a double click
        response = staff_client.post(
            f"/staff/funds/deposits/{pending.pk}/confirm/", {"note": "bank tx 5"}, follow=True
        )

    assert balance_of(customer) == before + to_micros("30")
    deposits = LedgerEntry.objects.filter(user=customer, kind="deposit", created_by=staff)
    assert deposits.count() == 1
    assert "was already paid" in response.content.decode()


def test_rejecting_via_the_staff_page_needs_a_reason(staff_client, pending):
    staff_client.post(f"/staff/funds/deposits/{pending.pk}/reject/", {"reason": " "})
    pending.refresh_from_db()
    assert pending.status == DepositRequest.Status.PENDING


def test_rejecting_via_the_staff_page_keeps_the_reason(staff_client, pending, customer):
    before = balance_of(customer)
    staff_client.post(f"/staff/funds/deposits/{pending.pk}/reject/", {"reason": "not received"})
    pending.refresh_from_db()
    assert (pending.status, pending.note) == (DepositRequest.Status.REJECTED, "not received")
    assert balance_of(customer) == before


def test_an_unknown_verb_changes_nothing(staff_client, pending):
    staff_client.post(f"/staff/funds/deposits/{pending.pk}/approve-all/")
    pending.refresh_from_db()
    assert pending.status == DepositRequest.Status.PENDING


def test_a_chargeback_via_the_staff_form_restricts_the_account(staff_client, customer, staff):
    response = staff_client.post(
        f"/staff/funds/users/{customer.pk}/chargeback/",
        {"amount": "30.00", "memo": "bank dispute #77"},
    )

    assert response.status_code == 302
    entry = LedgerEntry.objects.get(user=customer, kind="chargeback")
    assert (entry.amount_micros, entry.memo, entry.created_by) == (
        -to_micros("30"),
        "bank dispute #77",
        staff,
    )
    restriction = Restriction.objects.get(user=customer)
    assert restriction.level == Restriction.Level.ORDERING
    assert BalanceReview.objects.filter(user=customer).exists()


def test_a_chargeback_with_a_bad_amount_is_refused_beside_the_field(staff_client, customer):
    response = staff_client.post(
        f"/staff/funds/users/{customer.pk}/chargeback/", {"amount": "-3", "memo": "x"}
    )
    assert response.status_code == 200
    assert "The amount must be greater than zero." in response.content.decode()
    assert not LedgerEntry.objects.filter(kind="chargeback").exists()
    assert not Restriction.objects.filter(user=customer).exists()


def test_customers_cannot_record_a_chargeback(client, customer):
    other = make_user("10")
    client.force_login(customer)
    client.post(f"/staff/funds/users/{other.pk}/chargeback/", {"amount": "10", "memo": "x"})
    assert not LedgerEntry.objects.filter(kind="chargeback").exists()


def test_the_chargeback_form_shows_the_customer(staff_client, customer):
    html = staff_client.get(
        f"/staff/funds/users/{customer.pk}/chargeback/", {"amount": "30.00"}
    ).content.decode()
    assert customer.email in html and 'value="30.00"' in html
