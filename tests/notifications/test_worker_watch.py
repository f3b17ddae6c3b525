"""``smmpanel watch-worker`` (run by a timer outside the worker): a stopped worker cannot
announce itself, so the watch does, by email and Telegram at once, once per episode,
and ends the episode when the worker beats again."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from smmpanel.notifications.models import Alert, Delivery, Heartbeat
from smmpanel.notifications.services import beat

pytestmark = pytest.mark.django_db


def _silent_for(minutes: int) -> None:
    beat()
    Heartbeat.objects.update(beat_at=timezone.now() - timedelta(minutes=minutes))


def test_a_silent_worker_is_announced_at_once_by_email_and_telegram(smtp, telegram, capsys):
    _silent_for(60)

    call_command("watch_worker")

    assert [m["Subject"] for m in smtp.inbox.messages] == ["[SMM Panel] Worker heartbeat missing"]
    assert len(telegram.sent) == 1 and "Worker heartbeat missing" in telegram.sent[0]["text"]
    assert "alert opened, 2 message(s) sent" in capsys.readouterr().out


def test_a_silent_worker_is_announced_once_per_episode(smtp, telegram):
    _silent_for(60)

    call_command("watch_worker")
    call_command("watch_worker")

    assert len(smtp.inbox.messages) == 1 and len(telegram.sent) == 1


def test_the_episode_ends_when_the_worker_beats_again(smtp, telegram):
    _silent_for(60)
    call_command("watch_worker")
    beat()

    call_command("watch_worker")

    assert Alert.objects.get(key="worker-heartbeat").cleared_at is not None


def test_a_message_that_failed_is_sent_by_the_next_watch(smtp, telegram):
    _silent_for(60)
    smtp.stop()
    telegram.down = True
    call_command("watch_worker")
    smtp.start()
    telegram.down = False
    Delivery.objects.update(next_attempt_at=timezone.now())  # its retry is due

    call_command("watch_worker")

    assert len(smtp.inbox.messages) == 1 and len(telegram.sent) == 1


def test_a_live_worker_raises_nothing(smtp, telegram):
    beat()

    call_command("watch_worker")

    assert not Alert.objects.exists() and not smtp.inbox.messages
