"""Customer ticket pages: list, new ticket, thread, replies, close, access control."""

import pytest
from django.test import Client
from django.urls import reverse

from smmpanel.accounts.models import User
from smmpanel.support import services
from smmpanel.support.models import Ticket, TicketStatus
from tests.factories import make_order, make_user


@pytest.fixture
def order(customer, service):
    return make_order(customer, service)


@pytest.fixture
def stranger(db):
    return make_user("50")


@pytest.fixture
def signed_in(client, customer):
    client.force_login(customer)
    return client


@pytest.fixture
def ticket(customer, order):
    return services.open_ticket(customer, "order", "Slow start", "Still at 0", [order.pk])


@pytest.fixture
def strangers_ticket(stranger):
    return services.open_ticket(stranger, "other", "Their question", "Private text", [])


def new_ticket(client, **fields):
    data = {"kind": "order", "title": "Slow start", "body": "Still at 0", **fields}
    return client.post(reverse("web:ticket-new"), data)


# -- list ------------------------------------------------------------------------------


def test_pages_need_a_login(client, ticket):
    for url in (
        reverse("web:tickets"),
        reverse("web:ticket-new"),
        reverse("web:ticket-detail", args=[ticket.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and reverse("web:login") in response["Location"]


def test_the_list_shows_my_tickets_only(signed_in, ticket, strangers_ticket):
    page = signed_in.get(reverse("web:tickets")).content.decode()
    assert "Slow start" in page and "Their question" not in page


def test_the_list_filters_by_status(signed_in, ticket, customer):
    services.close_ticket(ticket, customer)
    assert (
        "Slow start" not in signed_in.get(reverse("web:tickets") + "?status=open").content.decode()
    )
    assert "Slow start" in signed_in.get(reverse("web:tickets") + "?status=closed").content.decode()


# -- new ticket ------------------------------------------------------------------------


def test_the_form_lists_my_orders_not_others(signed_in, order, stranger, service):
    theirs = make_order(stranger, service)
    page = signed_in.get(reverse("web:ticket-new")).content.decode()
    assert f'value="{order.pk}"' in page and f'value="{theirs.pk}"' not in page


def test_the_form_preselects_the_order_from_the_query(signed_in, order):
    page = signed_in.get(reverse("web:ticket-new") + f"?order={order.pk}").content.decode()
    assert (
        f'value="{order.pk}" id="order-{order.pk}" aria-describedby="orders-help" checked' in page
    )


def test_the_form_ignores_another_users_order_in_the_query(signed_in, stranger, service):
    theirs = make_order(stranger, service)
    page = signed_in.get(reverse("web:ticket-new") + f"?order={theirs.pk}").content.decode()
    assert f'value="{theirs.pk}"' not in page and f"#{theirs.pk}" not in page


def test_opening_a_ticket_leads_to_its_thread(signed_in, order):
    response = new_ticket(signed_in, orders=[order.pk])
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:ticket-detail", args=[ticket.pk])
    assert list(ticket.orders.all()) == [order]


def test_another_users_order_id_is_an_error_beside_the_field(signed_in, stranger, service):
    theirs = make_order(stranger, service)
    page = new_ticket(signed_in, orders=[theirs.pk]).content.decode()
    assert f"Order {theirs.pk} is not one of your orders." in page
    assert not Ticket.objects.exists()


def test_input_is_kept_on_error(signed_in, order):
    page = new_ticket(signed_in, title="", body="My kept words", orders=[order.pk]).content.decode()
    assert "My kept words" in page and "This field is required." in page
    assert (
        f'value="{order.pk}" id="order-{order.pk}" aria-describedby="orders-help" checked' in page
    )


def test_an_order_question_without_an_order_is_an_error(signed_in):
    page = new_ticket(signed_in).content.decode()
    assert "Pick the order or orders this ticket is about." in page
    assert not Ticket.objects.exists()


def test_a_duplicate_shows_the_rule_message_and_links_the_open_ticket(signed_in, ticket, order):
    page = new_ticket(signed_in, title="Again", orders=[order.pk]).content.decode()
    assert f"You already have an open ticket about this (#{ticket.pk})" in page
    assert f'href="{reverse("web:ticket-detail", args=[ticket.pk])}"' in page
    assert Ticket.objects.count() == 1


def test_a_duplicate_is_explained_in_ukrainian(signed_in, ticket, order):
    signed_in.cookies["django_language"] = "uk"
    page = new_ticket(signed_in, title="Знову", orders=[order.pk]).content.decode()
    assert f"У вас уже є відкрите звернення щодо цього (#{ticket.pk})" in page


def test_a_ticket_about_another_order_is_accepted(signed_in, ticket, customer, service):
    other = make_order(customer, service)
    assert new_ticket(signed_in, orders=[other.pk]).status_code == 302
    assert Ticket.objects.count() == 2


def test_a_flood_shows_the_limit(signed_in):
    for n in range(5):
        new_ticket(signed_in, kind="other", title=f"Q{n}")
    page = new_ticket(signed_in, kind="other", title="Q6").content.decode()
    assert "tickets in 60 minutes is the limit" in page
    assert Ticket.objects.count() == 5


# -- thread, replies, close ------------------------------------------------------------


def test_the_thread_shows_the_messages(signed_in, ticket):
    page = signed_in.get(reverse("web:ticket-detail", args=[ticket.pk])).content.decode()
    assert "Slow start" in page and "Still at 0" in page


def test_user_text_is_escaped(signed_in, order, customer):
    ticket = services.open_ticket(
        customer, "order", "<b>bold</b>", "<script>alert(1)</script>\nline two", [order.pk]
    )
    page = signed_in.get(reverse("web:ticket-detail", args=[ticket.pk])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>line two" in page
    assert "<script>alert(1)" not in page and "<b>bold</b>" not in page


def test_a_reply_is_added_and_waits_for_staff(signed_in, ticket):
    staff = make_user(role=User.Role.STAFF)
    services.reply(ticket, staff, "Restarted")
    response = signed_in.post(reverse("web:ticket-detail", args=[ticket.pk]), {"body": "Thanks!"})
    ticket.refresh_from_db()
    assert response.status_code == 302 and ticket.status == TicketStatus.OPEN
    assert ticket.messages.last().body == "Thanks!"


def test_an_empty_reply_is_an_error_beside_the_field(signed_in, ticket):
    page = signed_in.post(
        reverse("web:ticket-detail", args=[ticket.pk]), {"body": ""}
    ).content.decode()
    assert "This field is required." in page and ticket.messages.count() == 1


def test_the_customer_sees_the_staff_answer(signed_in, ticket):
    staff = make_user(role=User.Role.STAFF)
    services.reply(ticket, staff, "We restarted order")
    page = signed_in.get(reverse("web:ticket-detail", args=[ticket.pk])).content.decode()
    assert "We restarted order" in page and "Support" in page and "Answered" in page
    assert staff.email not in page


def test_the_thread_refreshes_itself_with_htmx(signed_in, ticket):
    url = reverse("web:ticket-detail", args=[ticket.pk]) + "?part=thread"
    response = signed_in.get(url, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="thread"' in body and "<html" not in body and "Still at 0" in body


def test_closing_a_ticket(signed_in, ticket):
    response = signed_in.post(reverse("web:ticket-close", args=[ticket.pk]))
    ticket.refresh_from_db()
    assert response.status_code == 302 and ticket.status == TicketStatus.CLOSED


def test_closing_needs_a_post(signed_in, ticket):
    assert signed_in.get(reverse("web:ticket-close", args=[ticket.pk])).status_code == 405


def test_replying_to_a_closed_ticket_reopens_it(signed_in, ticket, customer):
    services.close_ticket(ticket, customer)
    signed_in.post(reverse("web:ticket-detail", args=[ticket.pk]), {"body": "It dropped"})
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN


# -- access control --------------------------------------------------------------------


def test_another_users_ticket_is_a_404_like_a_missing_one(signed_in, strangers_ticket):
    theirs = signed_in.get(reverse("web:ticket-detail", args=[strangers_ticket.pk]))
    missing = signed_in.get(reverse("web:ticket-detail", args=[strangers_ticket.pk + 1000]))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content


def test_replying_to_another_users_ticket_is_a_404(signed_in, strangers_ticket):
    url = reverse("web:ticket-detail", args=[strangers_ticket.pk])
    assert signed_in.post(url, {"body": "hijack"}).status_code == 404
    assert strangers_ticket.messages.count() == 1


def test_closing_another_users_ticket_is_a_404(signed_in, strangers_ticket):
    assert (
        signed_in.post(reverse("web:ticket-close", args=[strangers_ticket.pk])).status_code == 404
    )
    strangers_ticket.refresh_from_db()
    assert strangers_ticket.status == TicketStatus.OPEN


# -- CSRF ------------------------------------------------------------------------------


def post_forms(page: str) -> list[str]:
    return [part.split("</form>")[0] for part in page.split('<form method="post"')[1:]]


def test_every_form_carries_the_csrf_token(signed_in, ticket):
    for url in (reverse("web:ticket-new"), reverse("web:ticket-detail", args=[ticket.pk])):
        forms = post_forms(signed_in.get(url).content.decode())
        assert forms and all('name="csrfmiddlewaretoken"' in form for form in forms)


def test_a_post_without_the_csrf_token_is_refused(customer, ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    response = client.post(reverse("web:ticket-detail", args=[ticket.pk]), {"body": "no token"})
    assert response.status_code == 403 and ticket.messages.count() == 1


def test_an_absurdly_large_ticket_id_is_a_404(signed_in):
    assert signed_in.get(f"/tickets/{10**30}/").status_code == 404
