"""Ticket reads: the customer's own tickets, the staff inbox, order context."""

from datetime import timedelta

from django.utils import timezone

from smmpanel.providers.models import Submission, SubmissionState
from smmpanel.support import selectors, services
from smmpanel.support.models import Ticket
from tests.factories import make_order


def ask(user, title="Question", body="Help", kind="other", orders=()):
    return services.open_ticket(user, kind, title, body, [o.pk for o in orders])


def age(ticket, minutes: int) -> None:
    """Make the ticket's last message ``minutes`` old."""
    Ticket.objects.filter(pk=ticket.pk).update(
        last_message_at=timezone.now() - timedelta(minutes=minutes)
    )


def test_tickets_of_lists_only_the_users_own(customer, stranger):
    mine = ask(customer)
    ask(stranger)
    assert list(selectors.tickets_of(customer)) == [mine]


def test_tickets_of_filters_by_status(customer):
    open_one = ask(customer, "One")
    closed = ask(customer, "Two")
    services.close_ticket(closed, customer)
    assert list(selectors.tickets_of(customer, "open")) == [open_one]
    assert list(selectors.tickets_of(customer, "closed")) == [closed]


def test_tickets_of_puts_latest_activity_first(customer):
    older, newer = ask(customer, "Old"), ask(customer, "New")
    services.reply(older, customer, "bump")
    assert list(selectors.tickets_of(customer)) == [older, newer]


def test_ticket_for_finds_the_users_own_ticket(customer):
    ticket = ask(customer)
    assert selectors.ticket_for(customer, ticket.pk) == ticket


def test_ticket_for_hides_another_users_ticket_like_a_missing_one(customer, stranger):
    theirs = ask(stranger)
    assert selectors.ticket_for(customer, theirs.pk) is None
    assert selectors.ticket_for(customer, theirs.pk + 1000) is None


def test_thread_is_oldest_first(customer, staff):
    ticket = ask(customer, body="first")
    services.reply(ticket, staff, "second")
    assert [m.body for m in selectors.thread(ticket)] == ["first", "second"]


def test_inbox_puts_unanswered_first_longest_waiting_on_top(customer, staff):
    answered = ask(customer, "Answered")
    services.reply(answered, staff, "Done")
    closed = ask(customer, "Closed")
    services.close_ticket(closed, customer)
    waiting_long, waiting_short = ask(customer, "Long"), ask(customer, "Short")
    age(waiting_long, 60)
    age(waiting_short, 5)
    assert list(selectors.staff_inbox()) == [waiting_long, waiting_short, answered, closed]


def test_inbox_filters_by_status(customer, staff):
    ask(customer, "Open")
    answered = ask(customer, "Answered")
    services.reply(answered, staff, "Done")
    assert list(selectors.staff_inbox(status="answered")) == [answered]


def test_inbox_filters_assigned_to_me(customer, staff):
    mine = ask(customer, "Mine")
    services.assign(mine, staff)
    ask(customer, "Nobody's")
    assert list(selectors.staff_inbox(assigned="me", staff=staff)) == [mine]


def test_inbox_filters_unassigned(customer, staff):
    services.assign(ask(customer, "Mine"), staff)
    nobodys = ask(customer, "Nobody's")
    assert list(selectors.staff_inbox(assigned="unassigned", staff=staff)) == [nobodys]


def test_inbox_search_matches_cyrillic_titles_in_any_case(customer):
    wanted = ask(customer, "Замовлення СТОЇТЬ")
    ask(customer, "Інше питання")
    assert list(selectors.staff_inbox(search="замовлення стоїть")) == [wanted]


def test_inbox_search_matches_message_text(customer, staff):
    wanted = ask(customer, "Question")
    services.reply(wanted, customer, "Платіж через ПриватБанк")
    ask(customer, "Another")
    assert list(selectors.staff_inbox(search="приватбанк")) == [wanted]


def test_inbox_search_matches_the_ticket_number(customer):
    ask(customer, "One")
    wanted = ask(customer, "Two")
    assert wanted in selectors.staff_inbox(search=f"#{wanted.pk}")


def test_inbox_search_matches_the_customer_email(customer, stranger):
    ask(customer, "Mine")
    theirs = ask(stranger, "Theirs")
    assert list(selectors.staff_inbox(search=stranger.email.upper())) == [theirs]


def test_inbox_search_matches_an_order_id(customer, order):
    wanted = ask(customer, kind="order", orders=[order])
    ask(customer, "Other")
    assert list(selectors.staff_inbox(search=f"#{order.pk}")) == [wanted]


def test_order_context_shows_status_charge_and_provider_state(customer, order):
    ticket = ask(customer, kind="order", orders=[order])
    Submission.objects.filter(order=order).update(
        state=SubmissionState.UNKNOWN, error="read timeout"
    )
    [shown] = selectors.order_context(ticket)
    assert shown == order and shown.charge_micros == order.charge_micros
    assert [(s.state, s.error) for s in shown.submission_rows] == [("unknown", "read timeout")]


def test_orders_to_pick_lists_the_users_latest_orders(customer, service, stranger, monkeypatch):
    monkeypatch.setattr(selectors, "PICKABLE_ORDERS", 2)
    oldest, middle, newest = (make_order(customer, service) for _ in range(3))
    make_order(stranger, service)
    assert selectors.orders_to_pick(customer) == [newest, middle]


def test_orders_to_pick_adds_an_older_preselected_own_order(customer, service, monkeypatch):
    monkeypatch.setattr(selectors, "PICKABLE_ORDERS", 1)
    oldest, newest = make_order(customer, service), make_order(customer, service)
    assert selectors.orders_to_pick(customer, [oldest.pk]) == [oldest, newest]


def test_orders_to_pick_never_adds_another_users_order(customer, service, foreign_order):
    mine = make_order(customer, service)
    assert selectors.orders_to_pick(customer, [foreign_order.pk]) == [mine]


def test_tickets_opened_since_counts_the_window(customer):
    ask(customer, "One")
    old = ask(customer, "Two")
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert selectors.tickets_opened_since(customer, timezone.now() - timedelta(hours=1)) == 1


def test_open_ticket_on_subject_ignores_other_kinds(customer, order):
    ticket = ask(customer, kind="order", orders=[order])
    since = timezone.now() - timedelta(days=1)
    assert selectors.open_ticket_on_subject(customer, "order", [order.pk], "", since) == ticket.pk
    assert selectors.open_ticket_on_subject(customer, "cancel", [order.pk], "", since) is None


def test_fold_casefolds_and_collapses_spaces():
    assert selectors.fold("  Привіт   СВІТ ") == "привіт світ"


def test_staff_ticket_finds_any_ticket(customer):
    ticket = ask(customer)
    assert selectors.staff_ticket(ticket.pk) == ticket
    assert selectors.staff_ticket(ticket.pk + 1000) is None


def test_canned_replies_are_listed_by_title(db):
    services.add_canned_reply("Zeta", "z")
    services.add_canned_reply("Alpha", "a")
    assert [c.title for c in selectors.canned_replies()] == ["Alpha", "Zeta"]
