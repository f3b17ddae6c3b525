"""Staff alerts from the worker's sweep: once per episode, cleared when it ends."""

from datetime import timedelta

import pytest
from django.utils import timezone

from smmpanel.fulfilment import watch
from smmpanel.notifications.models import Alert, Heartbeat
from smmpanel.notifications.selectors import heartbeat_missing
from smmpanel.providers.models import Provider

pytestmark = pytest.mark.django_db


def _provider(**fields):
    return Provider.objects.create(name="Acme", api_url="https://acme.example/api/v2", **fields)


def test_low_provider_balance_alerts_once_and_clears_when_topped_up(settings):
    settings.PROVIDER_LOW_BALANCE = "10.00"
    provider = _provider(balance_micros=2_000_000)
    assert watch.check_alerts() == 1
    assert watch.check_alerts() == 0  # same episode: nothing new
    Provider.objects.filter(pk=provider.pk).update(balance_micros=50_000_000)
    watch.check_alerts()
    assert Alert.objects.get().cleared_at is not None


def test_open_circuit_alerts_again_in_a_new_episode():
    provider = _provider(breaker_open_until=timezone.now() + timedelta(minutes=5))
    watch.check_alerts()
    Provider.objects.filter(pk=provider.pk).update(breaker_open_until=None)
    watch.check_alerts()
    Provider.objects.filter(pk=provider.pk).update(
        breaker_open_until=timezone.now() + timedelta(minutes=5)
    )
    assert watch.check_alerts() == 1
    assert Alert.objects.filter(kind="provider_circuit_open").count() == 2


def test_sweep_beats_the_worker_heartbeat():
    assert heartbeat_missing()
    watch.check_alerts()
    assert Heartbeat.objects.filter(name="worker").exists() and not heartbeat_missing()
