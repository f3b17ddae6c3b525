"""Staff ticket pages: inbox, thread with order context, replies, canned replies,
assignment and closing."""

import pytest
from django.urls import reverse

from smmpanel.providers.models import Submission, SubmissionState
from smmpanel.support import services
from smmpanel.support.models import CannedReply, TicketStatus
from tests.factories import make_order


@pytest.fixture
def order(customer, service):
    return make_order(customer, service)


@pytest.fixture
def ticket(customer, order):
    return services.open_ticket(customer, "order", "Slow start", "Still at 0", [order.pk])


def ticket_url(ticket, name="staff:ticket"):
    return reverse(name, args=[ticket.pk])


def post_forms(page: str) -> list[str]:
    return [part.split("</form>")[0] for part in page.split('<form method="post"')[1:]]


def test_customers_cannot_open_the_inbox(client, customer, ticket):
    client.force_login(customer)
    for url in (reverse("staff:tickets"), ticket_url(ticket)):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_customers_cannot_reply_as_staff(client, customer, ticket):
    client.force_login(customer)
    client.post(ticket_url(ticket), {"body": "fake staff answer"})
    assert ticket.messages.count() == 1


def test_the_inbox_lists_unanswered_tickets_first(staff_client, customer, staff, order):
    answered = services.open_ticket(customer, "other", "Answered one", "?", [])
    services.reply(answered, staff, "Done")
    services.open_ticket(customer, "order", "Waiting one", "?", [order.pk])
    page = staff_client.get(reverse("staff:tickets")).content.decode()
    assert page.index("Waiting one") < page.index("Answered one")


def test_the_inbox_filters_by_status(staff_client, customer, staff, ticket):
    answered = services.open_ticket(customer, "other", "Answered one", "?", [])
    services.reply(answered, staff, "Done")
    page = staff_client.get(reverse("staff:tickets") + "?status=open").content.decode()
    assert "Slow start" in page and "Answered one" not in page


def test_the_inbox_filters_assigned_to_me(staff_client, customer, staff, ticket):
    mine = services.open_ticket(customer, "other", "Mine now", "?", [])
    services.assign(mine, staff)
    page = staff_client.get(reverse("staff:tickets") + "?assigned=me").content.decode()
    assert "Mine now" in page and "Slow start" not in page


def test_the_inbox_filters_unassigned(staff_client, customer, staff, ticket):
    services.assign(services.open_ticket(customer, "other", "Mine now", "?", []), staff)
    page = staff_client.get(reverse("staff:tickets") + "?assigned=unassigned").content.decode()
    assert "Slow start" in page and "Mine now" not in page


def test_the_inbox_searches_cyrillic_in_any_case(staff_client, customer, ticket):
    services.open_ticket(customer, "other", "Оплата НЕ ПРОЙШЛА", "?", [])
    page = staff_client.get(reverse("staff:tickets"), {"search": "оплата не"}).content.decode()
    assert "Оплата НЕ ПРОЙШЛА" in page and "Slow start" not in page


def test_the_ticket_page_shows_the_thread_and_the_order_context(staff_client, ticket, order):
    Submission.objects.filter(order=order).update(state=SubmissionState.UNKNOWN)
    page = staff_client.get(ticket_url(ticket)).content.decode()
    assert "Still at 0" in page and f"Order #{order.pk}" in page
    assert order.link in page and "Pending" in page and "Unknown" in page


def test_a_missing_ticket_is_a_404(staff_client, ticket):
    assert staff_client.get(reverse("staff:ticket", args=[ticket.pk + 1000])).status_code == 404


def test_user_text_is_escaped_for_staff(staff_client, customer):
    ticket = services.open_ticket(customer, "other", "<i>t</i>", "<script>alert(1)</script>", [])
    page = staff_client.get(ticket_url(ticket)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    inbox = staff_client.get(reverse("staff:tickets")).content.decode()
    assert "&lt;i&gt;t&lt;/i&gt;" in inbox and "<i>t</i>" not in inbox


def test_a_staff_reply_answers_the_ticket(staff_client, ticket, staff):
    response = staff_client.post(ticket_url(ticket), {"body": "We restarted it"})
    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.status == TicketStatus.ANSWERED and ticket.assigned_to == staff
    assert ticket.messages.last().is_staff


def test_the_customer_sees_the_staff_answer(staff_client, client, ticket, customer):
    staff_client.post(ticket_url(ticket), {"body": "We restarted it"})
    client.force_login(customer)
    page = client.get(reverse("web:ticket-detail", args=[ticket.pk])).content.decode()
    assert "We restarted it" in page


def test_an_empty_staff_reply_is_an_error(staff_client, ticket):
    page = staff_client.post(ticket_url(ticket), {"body": ""}).content.decode()
    assert "This field is required." in page and ticket.messages.count() == 1


def test_a_canned_reply_prefills_the_reply(staff_client, ticket):
    canned = services.add_canned_reply("Restarted", "We restarted <your> order.")
    page = staff_client.get(ticket_url(ticket), {"canned": canned.pk}).content.decode()
    assert "We restarted &lt;your&gt; order.</textarea>" in page


def test_the_canned_reply_picker_lists_the_replies(staff_client, ticket):
    services.add_canned_reply("Refill started", "Refill is on its way.")
    page = staff_client.get(ticket_url(ticket)).content.decode()
    assert "Refill started" in page and 'hx-target="#reply-body"' in page


def test_assign_to_me(staff_client, ticket, staff):
    staff_client.post(ticket_url(ticket, "staff:ticket-assign"), {"to": "me"})
    ticket.refresh_from_db()
    assert ticket.assigned_to == staff


def test_unassign(staff_client, ticket, staff):
    services.assign(ticket, staff)
    staff_client.post(ticket_url(ticket, "staff:ticket-assign"), {"to": "none"})
    ticket.refresh_from_db()
    assert ticket.assigned_to is None


def test_staff_close_a_ticket(staff_client, ticket):
    staff_client.post(ticket_url(ticket, "staff:ticket-close"))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED


def test_actions_need_a_post(staff_client, ticket):
    for name in ("staff:ticket-assign", "staff:ticket-close"):
        assert staff_client.get(ticket_url(ticket, name)).status_code == 405


def test_canned_replies_are_added_on_their_page(staff_client):
    staff_client.post(reverse("staff:canned-replies"), {"title": "Hi", "body": "Hello there"})
    assert CannedReply.objects.get().body == "Hello there"


def test_canned_replies_are_removed(staff_client):
    canned = services.add_canned_reply("Old", "Outdated")
    staff_client.post(reverse("staff:canned-reply-remove", args=[canned.pk]))
    assert not CannedReply.objects.exists()


def test_every_staff_form_carries_the_csrf_token(staff_client, ticket):
    services.add_canned_reply("Old", "Outdated")
    for url in (ticket_url(ticket), reverse("staff:canned-replies")):
        forms = post_forms(staff_client.get(url).content.decode())
        assert forms and all('name="csrfmiddlewaretoken"' in form for form in forms)


def test_an_odd_canned_reply_id_is_ignored(staff_client, ticket):
    assert staff_client.get(ticket_url(ticket), {"canned": "²"}).status_code == 200
