"""Ticket writes: opening (ownership, policy), replies and status, closing, assigning."""

from datetime import timedelta

import pytest
from django.utils import timezone

from smmpanel.audit.models import Decision
from smmpanel.policy import engine, rule_cache, rulebook
from smmpanel.policy.models import Rule
from smmpanel.support import services
from smmpanel.support.errors import TicketError, TicketRefused
from smmpanel.support.models import CannedReply, Ticket, TicketMessage, TicketStatus


def open_about(user, order, kind="order", title="Where is my order?"):
    return services.open_ticket(user, kind, title, "It has not started.", [order.pk])


def set_thresholds(code: str, **values) -> None:
    engine.rules_for(rulebook.TICKET_CREATE)
    Rule.objects.filter(code=code).update(thresholds=values)
    rule_cache.forget()  # a queryset update sends no signal


# -- opening ---------------------------------------------------------------------------


def test_open_ticket_saves_the_ticket_its_orders_and_first_message(customer, order):
    ticket = services.open_ticket(
        customer, "order", "Slow start", "Still 0 after a day", [order.pk]
    )
    assert ticket.status == TicketStatus.OPEN and ticket.user == customer
    assert list(ticket.orders.all()) == [order]
    message = ticket.messages.get()
    assert (message.author, message.is_staff, message.body) == (
        customer,
        False,
        "Still 0 after a day",
    )


def test_open_ticket_stores_a_casefolded_search_column(customer, order):
    ticket = services.open_ticket(customer, "order", "ЗАМОВЛЕННЯ Стоїть", "текст", [order.pk])
    assert "замовлення стоїть" in ticket.search_text and f"#{order.pk}" in ticket.search_text


def test_open_ticket_accepts_order_ids_as_text(customer, order):
    ticket = services.open_ticket(customer, "refill", "Drop", "Dropped", [f" {order.pk} "])
    assert list(ticket.orders.all()) == [order]


def test_another_users_order_is_refused_and_nothing_written(customer, foreign_order):
    with pytest.raises(TicketError) as caught:
        services.open_ticket(customer, "order", "Hi", "Help", [foreign_order.pk])
    assert caught.value.field == "orders"
    assert str(foreign_order.pk) in caught.value.message
    assert Ticket.objects.count() == 0 and TicketMessage.objects.count() == 0


def test_a_foreign_and_a_missing_order_id_get_the_same_answer(customer, foreign_order):
    missing = foreign_order.pk + 1000
    with pytest.raises(TicketError) as foreign:
        services.open_ticket(customer, "order", "Hi", "Help", [foreign_order.pk])
    with pytest.raises(TicketError) as absent:
        services.open_ticket(customer, "order", "Hi", "Help", [missing])
    assert foreign.value.message.replace(
        str(foreign_order.pk), "N"
    ) == absent.value.message.replace(str(missing), "N")


def test_a_non_numeric_order_id_is_refused(customer):
    with pytest.raises(TicketError) as caught:
        services.open_ticket(customer, "order", "Hi", "Help", ["12abc"])
    assert caught.value.field == "orders"


@pytest.mark.parametrize("kind", ["order", "refill", "cancel"])
def test_order_kinds_need_an_order(customer, kind):
    with pytest.raises(TicketError) as caught:
        services.open_ticket(customer, kind, "Hi", "Help", [])
    assert caught.value.field == "orders"


def test_a_payment_question_needs_no_order(customer):
    ticket = services.open_ticket(customer, "payment", "Bank transfer", "Sent yesterday", [])
    assert ticket.orders.count() == 0


@pytest.mark.parametrize(
    ("kind", "title", "body", "field"),
    [("spam", "Hi", "Help", "kind"), ("other", "  ", "Help", "title"), ("other", "Hi", "", "body")],
)
def test_bad_input_names_its_field(customer, kind, title, body, field):
    with pytest.raises(TicketError) as caught:
        services.open_ticket(customer, kind, title, body, [])
    assert caught.value.field == field
    assert Ticket.objects.count() == 0


def test_a_too_long_message_is_refused(customer):
    with pytest.raises(TicketError) as caught:
        services.open_ticket(customer, "other", "Hi", "x" * (services.BODY_MAX + 1), [])
    assert caught.value.field == "body"


# -- policy: ticket.duplicate ----------------------------------------------------------


def test_a_second_ticket_about_the_same_order_points_to_the_open_one(customer, order):
    first = open_about(customer, order)
    with pytest.raises(TicketRefused) as caught:
        open_about(customer, order, title="Another wording")
    refused = caught.value
    assert refused.rule == "ticket.duplicate" and refused.existing_ticket_id == first.pk
    assert f"#{first.pk}" in refused.message and f"#{first.pk}" in refused.message_uk
    assert refused.message_for("uk") == refused.message_uk
    assert Ticket.objects.count() == 1


def test_a_refused_duplicate_is_recorded(customer, order):
    open_about(customer, order)
    with pytest.raises(TicketRefused):
        open_about(customer, order)
    decision = Decision.objects.get(rule_code="ticket.duplicate")
    assert decision.user == customer and decision.point == rulebook.TICKET_CREATE


def test_a_ticket_sharing_one_of_several_orders_is_a_duplicate(customer, order, other_order):
    services.open_ticket(customer, "order", "Two", "Both slow", [order.pk, other_order.pk])
    with pytest.raises(TicketRefused):
        open_about(customer, other_order)


def test_an_answered_ticket_still_counts_as_open(customer, order, staff):
    first = open_about(customer, order)
    services.reply(first, staff, "Looking into it")
    with pytest.raises(TicketRefused) as caught:
        open_about(customer, order)
    assert caught.value.existing_ticket_id == first.pk


def test_a_ticket_about_a_different_order_is_honest(customer, order, other_order):
    open_about(customer, order)
    assert open_about(customer, other_order).pk


def test_a_ticket_of_a_different_kind_about_the_same_order_is_honest(customer, order):
    open_about(customer, order, kind="order")
    assert open_about(customer, order, kind="refill").pk


def test_a_closed_ticket_does_not_block_a_new_one(customer, order):
    first = open_about(customer, order)
    services.close_ticket(first, customer)
    assert open_about(customer, order).pk != first.pk


def test_another_customers_open_ticket_does_not_count(customer, order, stranger, foreign_order):
    open_about(stranger, foreign_order)
    assert open_about(customer, order).pk


def test_the_same_question_without_orders_is_matched_by_title_in_any_case(customer):
    first = services.open_ticket(customer, "payment", "Оплата не пройшла", "Карта", [])
    with pytest.raises(TicketRefused) as caught:
        services.open_ticket(customer, "payment", "  ОПЛАТА  не пройшла ", "Знову", [])
    assert caught.value.existing_ticket_id == first.pk


def test_a_different_question_without_orders_is_honest(customer):
    services.open_ticket(customer, "other", "API docs", "Where?", [])
    assert services.open_ticket(customer, "other", "Refund policy", "How?", []).pk


def test_an_open_ticket_quiet_for_longer_than_the_window_does_not_count(customer, order):
    set_thresholds("ticket.duplicate", window_days=1)
    first = open_about(customer, order)
    Ticket.objects.filter(pk=first.pk).update(last_message_at=timezone.now() - timedelta(days=2))
    assert open_about(customer, order).pk != first.pk


# -- policy: ticket.flood --------------------------------------------------------------


def test_too_many_tickets_in_the_window_are_refused(customer):
    for n in range(5):
        services.open_ticket(customer, "other", f"Question {n}", "?", [])
    with pytest.raises(TicketRefused) as caught:
        services.open_ticket(customer, "other", "Question 6", "?", [])
    assert caught.value.rule == "ticket.flood" and caught.value.existing_ticket_id is None
    assert Ticket.objects.filter(user=customer).count() == 5


def test_tickets_older_than_the_flood_window_do_not_count(customer):
    for n in range(5):
        services.open_ticket(customer, "other", f"Question {n}", "?", [])
    Ticket.objects.update(created_at=timezone.now() - timedelta(hours=2))
    assert services.open_ticket(customer, "other", "Question 6", "?", []).pk


def test_the_flood_limit_is_per_customer(customer, stranger):
    for n in range(5):
        services.open_ticket(stranger, "other", f"Question {n}", "?", [])
    assert services.open_ticket(customer, "other", "Mine", "?", []).pk


# -- replies and status ----------------------------------------------------------------


def test_a_staff_reply_marks_the_ticket_answered(customer, order, staff):
    ticket = open_about(customer, order)
    message = services.reply(ticket, staff, "Restarted it")
    assert message.is_staff and ticket.status == TicketStatus.ANSWERED


def test_a_staff_reply_assigns_an_unassigned_ticket(customer, order, staff):
    ticket = open_about(customer, order)
    services.reply(ticket, staff, "Mine")
    assert ticket.assigned_to == staff


def test_a_staff_reply_keeps_an_existing_assignee(customer, order, staff):
    from tests.factories import make_user

    colleague = make_user(role="staff")
    ticket = open_about(customer, order)
    services.assign(ticket, colleague)
    services.reply(ticket, staff, "Covering")
    assert ticket.assigned_to == colleague


def test_a_customer_reply_makes_the_ticket_open_again(customer, order, staff):
    ticket = open_about(customer, order)
    services.reply(ticket, staff, "Done?")
    message = services.reply(ticket, customer, "Not yet")
    assert not message.is_staff and ticket.status == TicketStatus.OPEN


def test_a_customer_reply_reopens_a_closed_ticket(customer, order):
    ticket = open_about(customer, order)
    services.close_ticket(ticket, customer)
    services.reply(ticket, customer, "It dropped again")
    assert ticket.status == TicketStatus.OPEN and ticket.closed_at is None


def test_a_reply_moves_last_message_at(customer, order):
    ticket = open_about(customer, order)
    before = ticket.last_message_at
    services.reply(ticket, customer, "More details")
    assert ticket.last_message_at > before


def test_another_customer_cannot_reply(customer, order, stranger):
    ticket = open_about(customer, order)
    with pytest.raises(PermissionError):
        services.reply(ticket, stranger, "Hijack")
    assert ticket.messages.count() == 1


def test_an_empty_reply_is_refused(customer, order):
    ticket = open_about(customer, order)
    with pytest.raises(TicketError):
        services.reply(ticket, customer, "  \n ")


# -- closing, assigning, canned replies -------------------------------------------------


def test_close_ticket_closes_once(customer, order):
    ticket = open_about(customer, order)
    assert services.close_ticket(ticket, customer) is True
    assert services.close_ticket(ticket, customer) is False
    assert ticket.status == TicketStatus.CLOSED and ticket.closed_at is not None


def test_staff_can_close_a_customers_ticket(customer, order, staff):
    ticket = open_about(customer, order)
    services.close_ticket(ticket, staff)
    assert ticket.status == TicketStatus.CLOSED


def test_another_customer_cannot_close(customer, order, stranger):
    ticket = open_about(customer, order)
    with pytest.raises(PermissionError):
        services.close_ticket(ticket, stranger)


def test_assign_gives_the_ticket_to_staff_and_back(customer, order, staff):
    ticket = open_about(customer, order)
    services.assign(ticket, staff)
    assert ticket.assigned_to == staff
    services.assign(ticket, None)
    assert ticket.assigned_to is None


def test_tickets_are_assigned_to_staff_only(customer, order, stranger):
    ticket = open_about(customer, order)
    with pytest.raises(ValueError):
        services.assign(ticket, stranger)


def test_canned_replies_are_added_and_removed(db):
    canned = services.add_canned_reply("Restarted", "We restarted your order.\r\nThanks")
    assert canned.body == "We restarted your order.\nThanks"
    services.remove_canned_reply(canned)
    assert not CannedReply.objects.exists()


def test_a_canned_reply_needs_a_text(db):
    with pytest.raises(ValueError):
        services.add_canned_reply("Empty", " ")
