"""The outbox delivered by the worker: email to a real SMTP server, Telegram to a local
Bot API, retries with backoff, a bound, crashes and outages."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from smmpanel.deploy_checks import UNCONFIGURED_EMAIL_BACKEND
from smmpanel.notifications import delivery
from smmpanel.notifications.models import Delivery, DeliveryState, Notification
from smmpanel.notifications.services import notify, raise_alert
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def _make_due():
    Delivery.objects.filter(state=DeliveryState.QUEUED).update(next_attempt_at=timezone.now())


def test_notify_writes_rows_and_sends_nothing_before_the_worker(smtp):
    user = make_user()
    notify(user, "refill_done", order=7)
    assert Delivery.objects.get().state == DeliveryState.QUEUED
    assert smtp.inbox.messages == []


def test_rolled_back_event_leaves_no_notification():
    user = make_user()
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(user, "refill_done", order=7)
        raise RuntimeError("the event failed")
    assert not Notification.objects.exists() and not Delivery.objects.exists()


def test_worker_sends_email_with_dedupe_key_in_message_id(smtp):
    user = make_user()
    notify(user, "refill_done", order=7)
    assert delivery.deliver_due() == {"stale": 0, "sent": 1}
    [message] = smtp.inbox.messages
    row = Delivery.objects.get()
    assert row.state == DeliveryState.SENT
    assert message["To"] == user.email
    assert message["Message-ID"] == delivery.message_id(row)
    assert "order #7" in message.get_payload(decode=True).decode()


def test_email_in_the_users_language(smtp):
    user = make_user()
    user.language = "uk"
    user.save(update_fields=["language"])
    notify(user, "order_canceled", order=9, amount_micros=25_000_000)
    delivery.deliver_due()
    body = smtp.inbox.messages[0].get_payload(decode=True).decode()
    assert "Замовлення #9" in body and "25,00" in body


def test_smtp_outage_retries_with_backoff_then_delivers(smtp):
    user = make_user()
    smtp.stop()
    notify(user, "refill_done", order=7)
    assert delivery.deliver_due()["retry"] == 1
    row = Delivery.objects.get()
    assert row.state == DeliveryState.QUEUED and row.next_attempt_at > timezone.now()
    assert delivery.deliver_due() == {"stale": 0}  # not due yet: backoff
    smtp.start()
    _make_due()
    assert delivery.deliver_due()["sent"] == 1
    assert len(smtp.inbox.messages) == 1


def test_failed_send_is_given_up_after_the_bound_and_kept_for_staff(smtp):
    user = make_user()
    smtp.stop()
    notify(user, "refill_done", order=7)
    for _ in range(delivery.MAX_ATTEMPTS):
        _make_due()
        delivery.deliver_due()
    row = Delivery.objects.get()
    assert row.state == DeliveryState.FAILED and row.attempts == delivery.MAX_ATTEMPTS
    assert "mail" in row.error


def test_unconfigured_mail_skips_email_and_keeps_panel_notification():
    user = make_user()
    with override_settings(EMAIL_BACKEND=UNCONFIGURED_EMAIL_BACKEND):
        notify(user, "refill_done", order=7)
        delivery.deliver_due()
    row = Delivery.objects.get()
    assert (row.state, row.error) == (DeliveryState.SKIPPED, "mail not configured")
    assert Notification.objects.get().read_at is None


def test_worker_killed_mid_send_sends_at_most_twice_with_same_message_id(smtp):
    user = make_user()
    notify(user, "refill_done", order=7)
    row = Delivery.objects.get()
    delivery.send_email(row)  # the first copy left, then the worker died before recording
    long_ago = timezone.now() - delivery.STALE_AFTER - timedelta(seconds=1)
    Delivery.objects.update(state=DeliveryState.SENDING, claimed_at=long_ago, attempts=1)
    assert delivery.deliver_due()["sent"] == 1
    first, second = smtp.inbox.messages
    assert first["Message-ID"] == second["Message-ID"]


def test_second_stale_claim_gives_up_rather_than_send_a_third_copy():
    user = make_user()
    notify(user, "refill_done", order=7)
    long_ago = timezone.now() - delivery.STALE_AFTER - timedelta(seconds=1)
    Delivery.objects.update(state=DeliveryState.SENDING, claimed_at=long_ago, maybe_sent=True)
    delivery.release_stale_claims()
    assert Delivery.objects.get().state == DeliveryState.FAILED


def test_alert_goes_to_staff_email_and_telegram(smtp, telegram):
    raise_alert("provider-circuit:1", "provider_circuit_open", provider="Acme")
    assert delivery.deliver_due()["sent"] == 2
    [sent] = telegram.sent
    assert sent["token"] == "123:test-token" and sent["chat_id"] == "-1001"
    assert "Acme" in sent["text"]
    row = Delivery.objects.get(channel="telegram")
    assert sent["text"].endswith("#" + row.dedupe_key.replace("-", "_"))
    assert smtp.inbox.messages[0]["To"] == "ops@example.com"


def test_telegram_outage_loses_nothing(smtp, telegram):
    telegram.down = True
    raise_alert("provider-circuit:1", "provider_circuit_open", provider="Acme")
    assert delivery.deliver_due() == {"stale": 0, "sent": 1, "retry": 1}
    telegram.down = False
    _make_due()
    assert delivery.deliver_due()["sent"] == 1
    assert len(telegram.sent) == 1


def test_telegram_chat_not_found_is_given_up_at_once(telegram):
    telegram.fail_with = (400, "Bad Request: chat not found")
    with override_settings(STAFF_ALERT_EMAILS=[]):
        raise_alert("provider-circuit:1", "provider_circuit_open", provider="Acme")
    delivery.deliver_due()
    row = Delivery.objects.get()
    assert row.state == DeliveryState.FAILED and "chat not found" in row.error
    assert "test-token" not in row.error


def test_alert_is_raised_once_per_episode(telegram):
    assert raise_alert("k", "provider_circuit_open", provider="Acme") is not None
    assert raise_alert("k", "provider_circuit_open", provider="Acme") is None
    assert Delivery.objects.count() == 2  # one email, one Telegram message
