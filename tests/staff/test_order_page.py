"""The staff order page (issue 18): one order's money, timeline, policy decisions,
provider route and runs, refills and tickets, with the actions its state allows; the
orders list's provider columns, search and CSV export; why a held order is held.

Cancel and refill at the provider run against the simulator over real HTTP on loopback
(``tests/providers/conftest.py``), their sweeps called in-process.
"""

# The simulator fixtures are imported from tests/providers/conftest.py and named as
# test arguments, which ruff reads as redefinitions.
# ruff: noqa: F811

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from smmpanel.accounts.models import User
from smmpanel.audit.models import Decision
from smmpanel.billing.selectors import ledger_mismatches
from smmpanel.fulfilment.customer_requests import forward_cancels, forward_refill
from smmpanel.orders.models import OrderStatus, RefillStatus
from smmpanel.orders.services import complete_order
from smmpanel.orders.state import transition
from smmpanel.policy.services import add_deny_entry
from smmpanel.providers.models import RefillSubmission, Submission, SubmissionState
from smmpanel.staff.actions.orders import staff_cancel
from smmpanel.staff.selectors import orders as selectors_orders
from smmpanel.support.services import open_ticket
from smmpanel.web.templatetags.money import money
from tests.factories import make_order, make_service, make_staff, make_user
from tests.providers.conftest import (  # noqa: F401 - fixtures
    LONG_ENOUGH,
    forwarded,
    likes,
    provider,
    refunds_of,
    requests_for,
    sim,
    sim_clock,
    sync,
    upstream_orders,
    user,
)

WHY = "checked upstream 4Kq"


@pytest.fixture
def staff_client(client, db):
    client.force_login(make_staff(User.StaffRole.SUPPORT))
    return client


@pytest.fixture
def customer(db):
    return make_user("100")


def page_of(client, order) -> str:
    response = client.get(reverse("staff:order", args=[order.pk]))
    assert response.status_code == 200
    return response.content.decode()


def act(client, order, verb: str, **form):
    url = reverse("staff:order-action", args=[order.pk, verb])
    page = reverse("staff:order", args=[order.pk])
    return client.post(url, {"reason": WHY, "next": page, **form})


def action_url(order, verb: str) -> str:
    return reverse("staff:order-action", args=[order.pk, verb])


# -- what the page shows ----------------------------------------------------------------


def test_the_page_shows_the_customer_service_link_charge_quantity_and_start_count(
    staff_client, customer
):
    order = make_order(customer, make_service(), quantity=250)

    html = page_of(staff_client, order)

    assert reverse("staff:user", args=[customer.pk]) in html
    assert customer.email in html
    assert order.service.name in html
    assert order.link in html
    assert ">250<" in html
    assert f"{money(order.charge_micros)} {order.currency}" in html


def test_the_page_shows_each_provider_run_with_the_providers_order_id_and_state(
    staff_client, user, likes
):
    order = forwarded(user, likes)
    run = Submission.objects.get(order=order)

    html = page_of(staff_client, order)

    assert run.provider_order_id and run.provider_order_id in html
    assert "Simulator A" in html
    assert '<td class="run-state">sent</td>' in html


def test_the_page_shows_the_policy_decisions_with_rule_version_inputs_and_reason(
    staff_client, customer
):
    add_deny_entry("term", "rankscam", actor=None, reason="held for the test")
    comments = make_service(type="custom comments", min_quantity=1, max_quantity=100)
    order = make_order(customer, comments, comments="a rankscam\nok")
    decision = Decision.objects.get(order=order, rule_code="content.sensitive")

    html = page_of(staff_client, order)

    assert "content.sensitive" in html
    assert f"<td>{decision.rule_version}</td>" in html
    assert "rankscam" in html
    assert "need a staff review" in html  # the reason, through the ``reason`` filter


def test_the_page_shows_the_event_timeline_and_refunds(staff_client, customer):
    order = make_order(customer, make_service())
    act_as_owner = make_staff(User.StaffRole.OWNER)
    staff_cancel(order, actor=act_as_owner, reason=WHY)

    html = page_of(staff_client, order)
    assert WHY in html  # the event's note and the audit record's reason
    assert act_as_owner.email in html
    assert html.count(money(order.charge_micros)) >= 3  # charge, refunded, the refund


def test_the_page_links_the_orders_tickets(staff_client, customer):
    order = make_order(customer, make_service())
    ticket = open_ticket(customer, "order", "Where is it", "Not started", [order.pk])

    html = page_of(staff_client, order)

    assert reverse("staff:ticket", args=[ticket.pk]) in html


def test_the_orders_list_links_each_row_to_its_order_page(staff_client, customer):
    order = make_order(customer, make_service())

    html = staff_client.get(reverse("staff:orders")).content.decode()

    assert reverse("staff:order", args=[order.pk]) in html


# -- actions offered by state -------------------------------------------------------------


def test_a_completed_order_offers_refill_and_start_count_but_no_cancel_or_completion(
    staff_client, customer
):
    order = complete_order(make_order(customer, make_service()))

    html = page_of(staff_client, order)

    assert action_url(order, "refill-upstream") in html
    assert action_url(order, "start-count") in html
    for verb in ("cancel", "cancel-upstream", "partial", "complete", "resend"):
        assert action_url(order, verb) not in html, verb


def test_a_failed_order_offers_resend_and_cancel(staff_client, customer):
    order = make_order(customer, make_service())
    transition(order, OrderStatus.FAIL)

    html = page_of(staff_client, order)

    assert action_url(order, "resend") in html
    assert action_url(order, "cancel") in html
    assert action_url(order, "refill-upstream") not in html


def test_an_order_running_upstream_offers_cancel_at_the_provider_not_cancel_and_refund(
    staff_client, user, likes
):
    order = forwarded(user, likes)

    html = page_of(staff_client, order)

    assert action_url(order, "cancel-upstream") in html
    assert action_url(order, "cancel") not in html


def test_an_action_the_state_does_not_allow_is_refused_with_the_reason_and_writes_nothing(
    staff_client, customer
):
    order = complete_order(make_order(customer, make_service()))
    decisions = Decision.objects.count()

    response = act(staff_client, order, "resend")

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert Decision.objects.count() == decisions
    shown = staff_client.get(response["Location"]).content.decode()
    assert "Only a failed order can be resent." in shown


def test_a_second_cancel_at_the_provider_is_refused_with_the_reason(staff_client, user, likes):
    order = forwarded(user, likes)
    act(staff_client, order, "cancel-upstream")

    response = act(staff_client, order, "cancel-upstream")

    shown = staff_client.get(response["Location"]).content.decode()
    assert "Cancel has already been requested for this order" in shown
    assert Decision.objects.filter(rule_code="order.cancel_upstream").count() == 1


# -- actions ------------------------------------------------------------------------------


def test_cancel_at_the_provider_sends_api_cancel_and_refunds_when_the_provider_cancels(
    staff_client, user, likes, provider, sim
):
    order = forwarded(user, likes)

    act(staff_client, order, "cancel-upstream")
    forward_cancels()
    sync(provider)

    order.refresh_from_db()
    assert requests_for(sim, "cancel") == 1
    assert upstream_orders(sim, order.link)[0]["cancel_requested"] is True
    assert order.status == OrderStatus.CANCELED
    assert refunds_of(order) == [order.charge_micros]
    assert ledger_mismatches() == []


def test_cancel_at_the_provider_is_audited_with_the_staff_members_reason(staff_client, user, likes):
    order = forwarded(user, likes)

    act(staff_client, order, "cancel-upstream")

    record = Decision.objects.get(rule_code="order.cancel_upstream", order=order)
    assert record.actor is not None and record.reason == WHY


def test_ask_the_provider_for_a_refill_forwards_api_refill(
    staff_client, user, likes, provider, sim, sim_clock
):
    order = forwarded(user, likes)
    sim_clock.advance(LONG_ENOUGH)
    sync(provider)

    act(staff_client, order, "refill-upstream")
    refill = order.refills.get()
    forward_refill(refill.pk)

    entry = RefillSubmission.objects.get(refill=refill)
    assert (entry.state, refill.status) == (SubmissionState.ACTIVE, RefillStatus.PENDING)
    assert entry.provider_refill_id
    assert requests_for(sim, "refill") == 1
    assert Decision.objects.get(rule_code="order.refill_upstream").reason == WHY


def test_set_start_count_writes_it_and_audits_it(staff_client, customer):
    order = make_order(customer, make_service())

    act(staff_client, order, "start-count", start_count="1234")

    order.refresh_from_db()
    assert order.start_count == 1234
    assert Decision.objects.get(rule_code="order.start_count", order=order).reason == WHY


def test_mark_partial_refunds_the_remains(staff_client, customer):
    order = make_order(customer, make_service(), quantity=200)
    transition(order, OrderStatus.IN_PROGRESS)

    act(staff_client, order, "partial", remains="50")

    order.refresh_from_db()
    assert (order.status, order.remains) == (OrderStatus.PARTIAL, 50)
    assert refunds_of(order) == [order.charge_micros // 4]


def test_mark_completed_ends_the_order_without_refund(staff_client, customer):
    order = make_order(customer, make_service())

    act(staff_client, order, "complete", start_count="10")

    order.refresh_from_db()
    assert (order.status, order.start_count) == (OrderStatus.COMPLETED, 10)
    assert refunds_of(order) == []


def test_cancel_and_refund_refunds_a_failed_order_in_full(staff_client, customer):
    order = make_order(customer, make_service())
    transition(order, OrderStatus.FAIL)

    act(staff_client, order, "cancel")

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELED
    assert refunds_of(order) == [order.charge_micros]


# -- the orders list: provider columns, search, export ---------------------------------------


def test_the_orders_list_shows_the_provider_and_its_order_id(staff_client, user, likes):
    order = forwarded(user, likes)
    upstream_id = Submission.objects.get(order=order).provider_order_id

    html = staff_client.get(reverse("staff:orders")).content.decode()

    assert "Simulator A" in html and upstream_id in html


def test_the_orders_list_searches_by_the_providers_order_id(staff_client, user, likes):
    found, other = forwarded(user, likes), forwarded(user, likes)
    upstream_id = Submission.objects.get(order=found).provider_order_id

    html = staff_client.get(
        reverse("staff:orders"), {"provider_order_id": upstream_id}
    ).content.decode()

    assert f'id="order-{found.pk}"' in html
    assert f'id="order-{other.pk}"' not in html


def _export(client, **query) -> list[list[str]]:
    response = client.get(reverse("staff:orders-export"), query)
    assert response.status_code == 200
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_the_export_is_the_filtered_list_as_csv_with_provider_and_its_order_id(
    staff_client, user, likes
):
    order = forwarded(user, likes)
    make_order(make_user("10"), make_service())  # filtered out
    upstream_id = Submission.objects.get(order=order).provider_order_id

    rows = _export(staff_client, user=user.pk)

    assert rows[0] == list(selectors_orders.EXPORT_HEADER)
    assert [r[0] for r in rows[1:]] == [str(order.pk)]
    assert rows[1][-2:] == ["Simulator A", upstream_id]


def test_the_export_reads_the_orders_in_chunks(staff_client, customer, monkeypatch):
    monkeypatch.setattr(selectors_orders, "EXPORT_CHUNK", 3)
    service = make_service()
    for _ in range(7):
        make_order(customer, service)

    with CaptureQueriesContext(connection) as queries:
        rows = _export(staff_client, user=customer.pk)

    assert len(rows) == 1 + 7
    # Each chunk of 3 orders reads its runs in one query of its own: 3 chunks, 3 reads.
    runs_reads = [q["sql"] for q in queries if 'FROM "providers_submission"' in q["sql"]]
    assert len(runs_reads) == 3


# -- the moderation queue ---------------------------------------------------------------------


def test_a_held_order_shows_the_flagged_text_and_the_rule_and_term_that_matched(db, client):
    client.force_login(make_staff(User.StaffRole.MODERATOR))
    add_deny_entry("term", "rankscam", actor=None, reason="held for the test")
    comments = make_service(type="custom comments", min_quantity=1, max_quantity=100)
    order = make_order(make_user("100"), comments, comments="great rankscam offer\nnice")

    html = client.get(reverse("staff:moderation")).content.decode()

    row = html[html.index(f'id="held-{order.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "great rankscam offer" in row
    assert "content.sensitive" in row and "rankscam" in row
    assert reverse("staff:order", args=[order.pk]) in row
