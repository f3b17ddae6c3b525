"""Staff reports: access, the numbers of the known dataset (``tests/report_dataset.py``)
on the page, inline SVG charts beside tables, and CSV exports."""

import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from smmpanel.accounts.models import User
from smmpanel.catalog.models import Service
from smmpanel.fulfilment.status_sync import apply_remote_status
from smmpanel.money import to_micros
from smmpanel.orders.models import Order, OrderStatus
from smmpanel.orders.state import transition
from smmpanel.providers.answer_parsers import RemoteStatus
from smmpanel.providers.models import Provider, Submission, SubmissionState
from smmpanel.providers.secrets import seal
from smmpanel.staff.reports import REPORTS
from tests import report_dataset
from tests.factories import make_order, make_service, make_user

MARCH = "start=2025-03-01&end=2025-03-31&period=day"


def staff_member(role: str) -> User:
    user = make_user(role=User.Role.STAFF)
    User.objects.filter(pk=user.pk).update(staff_role=role, is_superuser=False)
    user.refresh_from_db()
    return user


@pytest.fixture
def data(db):
    return report_dataset.build()


@pytest.fixture
def support(client, db):
    """Support agents may read reports."""
    client.force_login(staff_member("support"))
    return client


def csv_of(client, slug: str, query: str = MARCH) -> list[list[str]]:
    response = client.get(f"/staff/reports/{slug}/?{query}&format=csv")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode())))


# -- access --------------------------------------------------------------------------------


def test_a_moderator_cannot_open_the_reports(client, db):
    client.force_login(staff_member("moderator"))
    assert client.get("/staff/reports/").status_code == 403


def test_a_moderator_cannot_export_a_report(client, db):
    client.force_login(staff_member("moderator"))
    assert client.get("/staff/reports/profit/?format=csv").status_code == 403


def test_a_customer_is_sent_to_the_staff_login(client, customer):
    client.force_login(customer)
    response = client.get("/staff/reports/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_support_can_open_the_reports(support):
    assert support.get("/staff/reports/").status_code == 200


def test_an_unknown_report_is_not_found(support):
    assert support.get("/staff/reports/salaries/").status_code == 404


# -- pages ---------------------------------------------------------------------------------


def test_the_overview_shows_every_report(support, data):
    html = support.get(f"/staff/reports/?{MARCH}").content.decode()
    assert all(f'id="report-{slug}"' in html for slug in REPORTS)


def test_the_profit_page_shows_the_totals(support, data):
    html = support.get(f"/staff/reports/profit/?{MARCH}").content.decode()
    assert "<td>12.00</td><td>2.50</td><td>9.50</td><td>5.40</td><td>4.10</td>" in html


def test_a_report_page_draws_an_svg_chart_with_titles(support, data):
    html = support.get(f"/staff/reports/statuses/?{MARCH}").content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in html
    assert "<title>Completed: 2</title>" in html


def test_chart_coordinates_stay_plain_numbers_in_ukrainian(support, data):
    support.cookies.load({"django_language": "uk"})
    html = support.get(f"/staff/reports/statuses/?{MARCH}").content.decode()
    svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    values = re.findall(r' (?:x|y|x1|x2|y1|y2|cx|cy|height)="([^"]*)"', svg)
    assert 'lang="uk"' in html and values
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", v) for v in values)


def test_weeks_are_named_by_their_monday(support, data):
    query = "start=2025-03-01&end=2025-03-31&period=week"
    html = support.get(f"/staff/reports/profit/?{query}").content.decode()
    assert "week of 2025-03-03" in html


def test_an_inverted_range_shows_an_error_and_the_default_range(support, data):
    html = support.get("/staff/reports/profit/?start=2025-03-31&end=2025-03-01").content.decode()
    assert "Choose an end on or after the start" in html


# -- provider cost of orders that ended upstream --------------------------------------------


def ended_upstream(status: str, remains: int, charge: str | None) -> None:
    """An order of 1000 (charged 1.00) placed on 2025-03-20 and sent to a provider that
    showed a charge of 0.60 while it ran, then ended ``status`` with ``remains`` and a
    final ``charge`` (None: the final answer had none)."""
    provider, _ = Provider.objects.get_or_create(
        name="Upstream",
        defaults={
            "api_url": "https://up.example/api/v2",
            "api_key_sealed": seal("k"),
            "api_key_last4": "k",
        },
    )
    order = make_order(make_user("10"), make_service(rate_micros=to_micros("1.00")), quantity=1000)
    Order.objects.filter(pk=order.pk).update(created_at=datetime(2025, 3, 20, 12, tzinfo=UTC))
    transition(order, OrderStatus.IN_PROGRESS)
    Submission.objects.filter(order=order).update(
        provider=provider,
        provider_order_id=str(order.pk),
        state=SubmissionState.ACTIVE,
        provider_charge_micros=to_micros("0.60"),
    )
    final = RemoteStatus(status, None if charge is None else Decimal(charge), 5, remains, "USD")
    apply_remote_status(Submission.objects.get(order=order), final)


def profit_on_the_20th(client) -> list[str]:
    return {r[0]: r[1:] for r in csv_of(client, "profit")}["2025-03-20"]


def test_a_partial_order_costs_the_providers_charge_pro_rata_to_what_it_delivered(support):
    ended_upstream("Partial", 250, "0.60")  # the provider still shows its full charge

    assert profit_on_the_20th(support) == ["1.00", "0.25", "0.75", "0.45", "0.30"]


def test_a_canceled_order_that_delivered_nothing_costs_nothing(support):
    ended_upstream("Canceled", 1000, "0.60")

    assert profit_on_the_20th(support) == ["1.00", "1.00", "0.00", "0.00", "0.00"]


def test_a_partial_order_costs_the_lower_charge_the_provider_reports(support):
    ended_upstream("Partial", 250, "0.50")

    assert profit_on_the_20th(support) == ["1.00", "0.25", "0.75", "0.50", "0.25"]


def test_the_profit_page_says_how_many_runs_were_costed_each_way(support):
    ended_upstream("Partial", 250, "0.50")
    ended_upstream("Partial", 250, "0.60")
    ended_upstream("Canceled", 1000, None)

    html = support.get(f"/staff/reports/profit/?{MARCH}").content.decode()

    assert "at the charge the provider reported: 1;" in html
    assert "(charge × delivered / quantity, when the provider reported no lower charge" in html
    assert "for a Partial or Canceled run): 2." in html


def test_the_profit_page_says_how_runs_were_costed_in_ukrainian(support):
    ended_upstream("Partial", 250, "0.60")
    support.cookies.load({"django_language": "uk"})

    html = support.get(f"/staff/reports/profit/?{MARCH}").content.decode()

    assert "за сумою, яку назвав постачальник: 0;" in html
    assert "пропорційно до виконаного" in html


def test_the_profit_page_counts_runs_ended_without_a_worked_out_cost(support):
    ended_upstream("Partial", 250, "0.60")
    Submission.objects.update(cost_basis="")  # as a run closed by staff is left

    html = support.get(f"/staff/reports/profit/?{MARCH}").content.decode()

    assert "at the last charge the provider reported: 1." in html


# -- CSV -----------------------------------------------------------------------------------


def test_the_profit_csv_has_every_day_of_the_range(support, data):
    rows = csv_of(support, "profit")
    assert rows[0] == ["period", "charged", "refunded", "revenue", "provider_cost", "profit"]
    assert len(rows) == 1 + 31 + 1  # header, March, total


def test_the_profit_csv_has_the_days_numbers(support, data):
    rows = {r[0]: r[1:] for r in csv_of(support, "profit")}
    assert rows["2025-03-03"] == ["3.00", "0.50", "2.50", "1.70", "0.80"]
    assert rows["2025-03-04"] == ["3.00", "2.00", "1.00", "0.40", "0.60"]
    assert rows["2025-03-12"] == ["6.00", "0.00", "6.00", "3.30", "2.70"]


def test_the_profit_csv_ends_with_the_total(support, data):
    assert csv_of(support, "profit")[-1] == ["Total", "12.00", "2.50", "9.50", "5.40", "4.10"]


def test_the_profit_csv_per_month(support, data):
    rows = csv_of(support, "profit", "start=2025-03-01&end=2025-04-30&period=month")
    assert rows[1:3] == [
        ["2025-03-01", "12.00", "2.50", "9.50", "5.40", "4.10"],
        ["2025-04-01", "1.00", "0.00", "1.00", "0.00", "1.00"],
    ]


def test_the_csv_is_a_download_named_after_report_and_range(support, data):
    response = support.get(f"/staff/reports/refunds/?{MARCH}&format=csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="refunds-2025-03-01-2025-03-31.csv"' in response["Content-Disposition"]


def test_the_refunds_csv_total_has_both_rates(support, data):
    assert csv_of(support, "refunds")[-1] == ["Total", "5", "2", "40.00", "12.00", "2.50", "20.83"]


def test_the_statuses_csv(support, data):
    rows = {r[0]: r[1:] for r in csv_of(support, "statuses")}
    assert rows["Completed"] == ["2", "7.00"] and rows["Pending"] == ["0", "0.00"]


def test_the_top_services_csv(support, data):
    rows = csv_of(support, "services")
    assert rows[1:] == [
        [str(data.b.pk), "Service B", "3", "9.00", "0.50", "8.50"],
        [str(data.a.pk), "Service A", "2", "3.00", "2.00", "1.00"],
    ]


def test_the_top_users_csv(support, data):
    u1, u2 = data.users
    rows = csv_of(support, "users")
    assert [r[:2] + r[-1:] for r in rows[1:]] == [
        [str(u1.pk), u1.email, "9.50"],
        [str(u2.pk), u2.email, "0.00"],
    ]


def test_the_provider_errors_csv(support, data):
    rows = {r[0]: r[1:] for r in csv_of(support, "providers")}
    assert rows["P"] == ["10", "1", "10.00", "3", "1", "0", "33.33"]
    assert rows["Q"] == ["0", "0", "", "2", "0", "0", "0.00"]


def test_the_csv_defuses_a_name_a_spreadsheet_would_run_as_a_formula(support, data):
    Service.objects.filter(pk=data.b.pk).update(name='=HYPERLINK("http://x")')
    rows = csv_of(support, "services")
    assert rows[1][1] == '\'=HYPERLINK("http://x")'
