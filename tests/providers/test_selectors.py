"""Provider reads: health for the staff list and the provider figures of the reports."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from smmpanel.money import to_micros
from smmpanel.providers.models import CostBasis, Provider, Submission, SubmissionState
from smmpanel.providers.secrets import seal
from smmpanel.providers.selectors import (
    CostBases,
    percent,
    provider_cost_bases,
    provider_cost_by_period,
    provider_errors,
    provider_health,
)
from tests import report_dataset
from tests.report_dataset import MARCH


def make_provider(**fields) -> Provider:
    fields = {
        "name": "Up",
        "api_url": "https://up.example/api/v2",
        "api_key_sealed": seal("k"),
        "api_key_last4": "k",
        **fields,
    }
    return Provider.objects.create(**fields)


def health_of(provider: Provider):
    return next(h for h in provider_health() if h.provider.pk == provider.pk)


def test_percent_rounds_half_up_to_two_decimals():
    assert percent(1, 8) == Decimal("12.50") and percent(1, 6) == Decimal("16.67")


def test_percent_of_nothing_is_none():
    assert percent(0, 0) is None


def test_health_reports_an_open_circuit_until_its_cooldown_ends(db):
    until = timezone.now() + timedelta(seconds=20)
    provider = make_provider(breaker_open_until=until, breaker_failures=5)
    assert health_of(provider).circuit_open_until == until


def test_health_reports_a_circuit_past_its_cooldown_as_closed(db):
    provider = make_provider(breaker_open_until=timezone.now() - timedelta(seconds=1))
    assert not health_of(provider).circuit_open


def test_health_error_rate_is_failed_calls_of_all_calls(db):
    provider = make_provider(calls=40, failed_calls=3)
    assert health_of(provider).error_rate == Decimal("7.50")


def test_health_error_rate_without_calls_is_unknown(db):
    assert health_of(make_provider()).error_rate is None


def test_provider_cost_is_summed_per_period_of_the_orders(db):
    report_dataset.build()
    assert provider_cost_by_period(MARCH) == {
        date(2025, 3, 3): to_micros("1.70"),
        date(2025, 3, 4): to_micros("0.40"),
        date(2025, 3, 12): to_micros("3.30"),
    }


def ended_upstream(order, basis: str, provider_order_id: str = "77") -> None:
    Submission.objects.filter(order=order).update(
        state=SubmissionState.DONE, provider_order_id=provider_order_id, cost_basis=basis
    )


def test_provider_cost_bases_count_the_runs_that_ended_upstream_each_way(db):
    o1, o2, _, _, o5, _ = report_dataset.build().orders
    ended_upstream(o1, CostBasis.REPORTED)
    ended_upstream(o2, CostBasis.PRO_RATA)
    ended_upstream(o5, "")  # closed by staff, or ended before costs were worked out

    assert provider_cost_bases(MARCH) == CostBases(reported=1, pro_rata=1, unworked=1)


def test_provider_cost_bases_leave_out_runs_never_sent(db):
    o4 = report_dataset.build().orders[3]
    ended_upstream(o4, "", provider_order_id="")  # withdrawn before it was sent

    assert provider_cost_bases(MARCH) == CostBases(reported=0, pro_rata=0, unworked=0)


def test_provider_cost_bases_is_one_query(db, django_assert_num_queries):
    report_dataset.build()
    with django_assert_num_queries(1):
        provider_cost_bases(MARCH)


def test_provider_errors_count_refused_orders_in_the_range(db):
    report_dataset.build()
    errors = {e.name: (e.submissions, e.refused, e.refusal_rate) for e in provider_errors(MARCH)}
    assert errors == {"P": (3, 1, Decimal("33.33")), "Q": (2, 0, Decimal("0.00"))}


def test_provider_errors_keep_the_lifetime_call_error_rate(db):
    report_dataset.build()
    p = next(e for e in provider_errors(MARCH) if e.name == "P")
    assert p.call_error_rate == Decimal("10.00")


def test_provider_errors_is_one_query(db, django_assert_num_queries):
    report_dataset.build()
    with django_assert_num_queries(1):
        provider_errors(MARCH)
