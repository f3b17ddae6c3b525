"""Who has own prices, kept per process: customers without rules are priced with no query
for rules, and a rule change shows at once here and within the cache time elsewhere."""

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from smmpanel.catalog import price_rule_owners
from smmpanel.catalog.models import CustomRate
from smmpanel.catalog.selectors import rate_for, rates_for
from smmpanel.catalog.services import remove_custom_rate, set_custom_rate
from smmpanel.money import to_micros
from tests.factories import make_user

OWN_RATE = to_micros("0.50")


@pytest.fixture
def shopper(db):
    return make_user("100")


def _rule_reads(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return sum("catalog_customrate" in q["sql"] for q in queries.captured_queries)


def test_a_customer_without_rules_is_priced_without_reading_rules(shopper, service):
    price_rule_owners.has_price_rules(shopper.pk)  # the process's copy is read once
    assert _rule_reads(lambda: rate_for(shopper, service)) == 0
    assert _rule_reads(lambda: rates_for(shopper)) == 0
    assert rate_for(shopper, service) == service.rate_micros


def test_a_rule_set_in_this_process_applies_at_once(shopper, service):
    assert rate_for(shopper, service) == service.rate_micros
    set_custom_rate(shopper, service, rate_micros=OWN_RATE)
    assert rate_for(shopper, service) == OWN_RATE
    assert rates_for(shopper).rate_for(service) == OWN_RATE


def test_the_last_rule_removed_in_this_process_applies_at_once(shopper, service):
    rule = set_custom_rate(shopper, service, rate_micros=OWN_RATE)
    assert rate_for(shopper, service) == OWN_RATE
    remove_custom_rate(rule)
    assert rate_for(shopper, service) == service.rate_micros


def test_a_rule_written_without_signals_applies_within_the_cache_time(
    shopper, service, monkeypatch
):
    assert rate_for(shopper, service) == service.rate_micros
    # Another process (or a bulk write) adds the rule: this process hears nothing.
    rule = CustomRate(user=shopper, service=service, rate_micros=OWN_RATE)
    CustomRate.objects.bulk_create([rule])
    assert rate_for(shopper, service) == service.rate_micros  # its copy is still fresh
    now = price_rule_owners._clock()
    monkeypatch.setattr(
        price_rule_owners, "_clock", lambda: now + settings.CATALOG_CACHE_SECONDS + 1
    )
    assert rate_for(shopper, service) == OWN_RATE


def test_a_customer_with_rules_still_gets_each_rules_current_value(shopper, service):
    set_custom_rate(shopper, service, rate_micros=OWN_RATE)
    assert rate_for(shopper, service) == OWN_RATE
    # A changed value is read fresh: only who has rules is kept.
    CustomRate.objects.filter(user=shopper).update(rate_micros=to_micros("0.40"))
    assert rate_for(shopper, service) == to_micros("0.40")


@pytest.mark.django_db(transaction=True)
def test_a_rule_deleted_then_rolled_back_still_prices_at_the_own_rate(service):
    shopper = make_user("100")
    rule = set_custom_rate(shopper, service, rate_micros=OWN_RATE)
    with pytest.raises(RuntimeError), transaction.atomic():
        remove_custom_rate(rule)
        assert rate_for(shopper, service) == service.rate_micros  # inside: deleted
        raise RuntimeError("the change is abandoned")
    assert CustomRate.objects.filter(pk=rule.pk).exists()
    assert rate_for(shopper, service) == OWN_RATE


@pytest.mark.django_db(transaction=True)
def test_after_a_committed_change_the_owners_are_kept_again(service):
    shopper = make_user("100")
    set_custom_rate(shopper, service, rate_micros=OWN_RATE)
    rate_for(shopper, service)
    assert _owner_reads(lambda: rate_for(shopper, service)) == 0


def _owner_reads(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return sum(
        "DISTINCT" in q["sql"] and "catalog_customrate" in q["sql"]
        for q in queries.captured_queries
    )
