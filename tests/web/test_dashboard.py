"""The signed-in home (New order) and the dashboard page."""

from smmpanel.orders.services import complete_order
from smmpanel.support.services import open_ticket
from tests.factories import make_order, make_service, make_user


def test_the_signed_in_home_is_new_order(client, db):
    client.force_login(make_user())
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/orders/new/"


def test_the_home_asks_a_visitor_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302 and "login/" in response["Location"]


def test_the_dashboard_shows_balance_spending_statuses_and_tickets(client, db):
    user = make_user("100")
    service = make_service()
    done = complete_order(make_order(user, service, quantity=1000))
    make_order(user, service, quantity=1000)
    open_ticket(user, "order", "Where are my likes?", "Please check.", [done.pk])
    client.force_login(user)
    page = client.get("/dashboard/").content.decode()
    assert "98.20 USD" in page  # 100 - 2 × 0.90
    assert page.count("1.80 USD") == 2  # spent this month and in all
    assert 'href="/orders/?status=completed"' in page
    assert 'href="/orders/?status=pending"' in page
    assert 'href="/orders/?status=fail"' not in page
    tickets = page[page.index('id="st-tickets"') :]
    assert tickets[: tickets.index("</p>")].endswith('<p class="figure">1')


def test_every_page_shows_the_balance_and_add_funds_in_the_header(client, db):
    client.force_login(make_user("12.5"))
    page = client.get("/orders/").content.decode()
    header = page[page.index("<header") : page.index("</header>")]
    assert "12.50 USD" in header and 'href="/funds/"' in header and 'class="bell"' in header


def test_the_sidebar_marks_the_current_page(client, db):
    client.force_login(make_user())
    page = client.get("/dashboard/").content.decode()
    assert '<a href="/dashboard/" aria-current="page">' in page
    assert '<a href="/orders/" aria-current="page">' not in page
