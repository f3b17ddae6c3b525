"""Customer Add funds pages: payment methods, deposit requests and the ledger history."""

import pytest
from django.test import override_settings

from smmpanel.billing.models import DepositRequest, LedgerEntry
from smmpanel.billing.services import deposit
from smmpanel.money import to_micros
from tests.factories import make_user


@pytest.fixture
def me(client, customer):
    client.force_login(customer)
    return customer


def page(client, url="/funds/", **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_funds_page_needs_a_login(client, db):
    response = client.get("/funds/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_history_page_needs_a_login(client, db):
    response = client.get("/funds/history/")
    assert response.status_code == 302 and "/login/" in response["Location"]


@override_settings(MANUAL_PAYMENT_INSTRUCTIONS="Pay to IBAN UA21 3223 1300 0002 6007 2335 6600 1")
def test_the_page_lists_the_enabled_methods_with_their_instructions(client, me):
    html = page(client)
    assert "Bank transfer (confirmed by staff)" in html
    assert "IBAN UA21 3223 1300 0002 6007 2335 6600 1" in html


def test_requesting_a_deposit_records_it_and_shows_its_reference(client, me):
    response = client.post("/funds/deposit/", {"gateway": "manual", "amount": "25.50"})

    assert response.status_code == 302 and response["Location"] == "/funds/"
    made = DepositRequest.objects.get(user=me)
    assert made.amount_micros == to_micros("25.50")
    html = page(client)
    assert made.reference in html and "Pending" in html


def test_an_invalid_amount_is_shown_beside_the_field_and_kept(client, me):
    response = client.post("/funds/deposit/", {"gateway": "manual", "amount": "0.50"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="amount-error"' in html and "The minimum deposit is 1.00 USD." in html
    assert 'value="0.50"' in html
    assert not DepositRequest.objects.exists()


def test_a_method_that_is_not_offered_is_refused(client, me):
    response = client.post("/funds/deposit/", {"gateway": "paypal", "amount": "25"})
    assert response.status_code == 200
    assert not DepositRequest.objects.exists()


def test_the_deposit_form_is_csrf_protected(db, customer):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(customer)
    response = strict.post("/funds/deposit/", {"gateway": "manual", "amount": "25"})
    assert response.status_code == 403
    assert not DepositRequest.objects.exists()


def test_the_deposit_action_takes_only_post(client, me):
    assert client.get("/funds/deposit/").status_code == 405


def test_a_rejected_request_shows_the_reason(client, me):
    made = DepositRequest.objects.create(
        user=me,
        gateway="manual",
        amount_micros=to_micros("5"),
        currency="USD",
        reference="DTEST12345",
        status="rejected",
        note="No transfer arrived",
    )
    html = page(client)
    assert made.reference in html and "No transfer arrived" in html


def test_the_history_shows_ledger_entries(client, me):
    deposit(me, to_micros("12.34"), memo="deposit DXYZ (manual)")
    html = page(client)
    assert "+12.34 USD" in html and "Funds added by staff" in html
    assert "deposit DXYZ (manual)" not in html  # the memo is not the customer's reading


def test_another_users_deposits_and_ledger_are_not_shown(client, me):
    other = make_user("77.77")
    theirs = DepositRequest.objects.create(
        user=other,
        gateway="manual",
        amount_micros=to_micros("5"),
        currency="USD",
        reference="DOTHER2345",
    )
    html = page(client)
    assert theirs.reference not in html and "77.77" not in html
    assert "77.77" not in page(client, "/funds/history/")


def test_the_history_page_pages_by_keyset(client, me):
    for i in range(55):
        deposit(me, to_micros(100 + i), memo=f"entry-{i:03d}")  # shown as +1xx.00 USD

    first = page(client, "/funds/history/")
    oldest_shown = LedgerEntry.objects.filter(user=me).order_by("-id")[49]
    assert "+154.00 USD" in first and "+105.00 USD" in first and "+104.00 USD" not in first
    assert f"?before={oldest_shown.pk}" in first

    second = page(client, "/funds/history/", before=oldest_shown.pk)
    assert "+104.00 USD" in second and "+100.00 USD" in second and "+105.00 USD" not in second


def test_a_bad_cursor_shows_the_first_page(client, me):
    deposit(me, to_micros("7.77"), memo="newest entry")
    assert "+7.77 USD" in page(client, "/funds/history/", before="x' OR 1=1")
