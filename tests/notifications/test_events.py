"""Each event kind, raised by the service that owns it, gives its notification in the
customer's language (and an email row beside it)."""

import pytest
from django.utils import translation

from smmpanel.accounts.models import User
from smmpanel.accounts.services import issue_api_key, revoke_api_key
from smmpanel.billing.deposits import confirm_deposit, open_deposit_request
from smmpanel.notifications.kinds import render
from smmpanel.notifications.models import Alert, Delivery, Notification
from smmpanel.notifications.services import set_preferences
from smmpanel.orders.models import OrderStatus, Refill, RefillStatus
from smmpanel.orders.services import cancel_and_refund, move_refill, refund_remains
from smmpanel.orders.state import transition
from smmpanel.policy import services as policy
from smmpanel.support.services import open_ticket, reply
from tests.factories import make_order, make_staff, make_user

pytestmark = pytest.mark.django_db


def _ukrainian(balance="0"):
    user = make_user(balance)
    User.objects.filter(pk=user.pk).update(language="uk")
    user.refresh_from_db()
    return user


def _last(user):
    note = Notification.objects.filter(user=user).latest("pk")
    return note.kind, render(note.kind, note.params, user.language)


def test_staff_reply_notifies_ticket_answered_in_ukrainian():
    user = _ukrainian()
    ticket = open_ticket(user, "other", "Where is my order", "Hello")
    reply(ticket, make_staff("owner"), "On its way")
    kind, (title, _body) = _last(user)
    assert kind == "ticket_answered" and title == f"Ви отримали відповідь у тікеті #{ticket.pk}"


def test_confirmed_deposit_notifies_credited_with_amount():
    user = make_user()
    request = open_deposit_request(user, "manual", 12_500_000)
    confirm_deposit(request, actor=make_staff("owner"))
    kind, (_title, body) = _last(user)
    assert kind == "deposit_credited" and "12.50 USD" in body


def test_deposit_under_balance_review_notifies_held():
    user = make_user()
    policy.open_balance_review(user, reason="checking", actor=make_staff("owner"))
    confirm_deposit(open_deposit_request(user, "manual", 5_000_000), actor=make_staff("owner"))
    assert _last(user)[0] == "deposit_held"


def test_canceled_order_notifies_refund_in_ukrainian(service):
    user = _ukrainian("100")
    order = make_order(user, service)
    cancel_and_refund(order, note="test")
    kind, (_title, body) = _last(user)
    assert kind == "order_canceled" and "0,09 USD повернено" in body


def test_failed_order_canceled_notifies_failed_and_refunded(service):
    user = make_user("100")
    order = make_order(user, service)
    transition(order, OrderStatus.FAIL, note="refused")
    cancel_and_refund(order, note="staff cancel")
    assert _last(user)[0] == "order_failed"


def test_partial_order_notifies_refund_of_remains(service):
    user = make_user("100")
    order = make_order(user, service)
    refund_remains(order, 40, note="partial")
    kind, (_title, body) = _last(user)
    assert kind == "order_partial" and "40" in body


def test_refill_done_and_rejected_notify(service):
    user = make_user("100")
    order = make_order(user, service)
    done = Refill.objects.create(order=order, user=user)
    move_refill(done.pk, RefillStatus.COMPLETED)
    assert _last(user)[0] == "refill_done"
    rejected = Refill.objects.create(order=order, user=user)
    move_refill(rejected.pk, RefillStatus.REJECTED)
    assert _last(user)[0] == "refill_rejected"


def test_api_key_created_and_revoked_notify():
    user = make_user()
    issued = issue_api_key(user, "bot")
    assert _last(user)[0] == "api_key_created"
    revoke_api_key(issued.api_key)
    kind, (_title, body) = _last(user)
    assert kind == "api_key_revoked" and "bot" in body


def test_restriction_and_its_lifting_notify():
    user = make_user()
    staff = make_staff("owner")
    restriction = policy.restrict(user, "order", reason="too many refusals", actor=staff)
    assert _last(user)[0] == "account_restricted"
    policy.lift_restriction(restriction, actor=staff, reason="resolved")
    assert _last(user)[0] == "restriction_lifted"


def test_balance_review_opened_and_closed_notify():
    user = make_user()
    staff = make_staff("owner")
    review = policy.open_balance_review(user, reason="checking", actor=staff)
    assert _last(user)[0] == "balance_review_opened"
    policy.close_balance_review(review, actor=staff, reason="fine")
    assert _last(user)[0] == "balance_review_closed"


def test_kind_switched_off_by_email_writes_no_email_row():
    user = make_user()
    set_preferences(user, {"api_key_created": (True, False)})
    issue_api_key(user, "bot")
    assert Notification.objects.filter(user=user, kind="api_key_created").exists()
    assert not Delivery.objects.filter(notification__kind="api_key_created").exists()


def test_email_text_follows_user_language_not_the_active_one():
    user = _ukrainian()
    with translation.override("en"):
        issue_api_key(user, "bot")
    assert Delivery.objects.get(notification__user=user).subject == "API-ключ створено"


def test_new_ticket_opens_a_staff_alert_cleared_by_the_staff_reply():
    user = make_user()
    ticket = open_ticket(user, "other", "Help", "Hello")
    alert = Alert.objects.get(key=f"ticket:{ticket.pk}")
    assert alert.cleared_at is None
    reply(ticket, make_staff("owner"), "Hi")
    alert.refresh_from_db()
    assert alert.cleared_at is not None
