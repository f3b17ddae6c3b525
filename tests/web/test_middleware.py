"""The web middleware: a signed-in customer's pages show times in their own time zone,
and the headers name the zone actually used."""

from datetime import UTC, datetime

from django.urls import reverse
from django.utils import timezone

from smmpanel.accounts.models import User
from smmpanel.accounts.services import update_preferences
from smmpanel.configuration.services import save_settings
from smmpanel.orders.models import Order
from tests.factories import make_order, make_user

# 09:30 UTC on a summer day is 12:30 in Kyiv (UTC+3).
PLACED = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)


def kyiv_customer(client):
    user = make_user("100")
    update_preferences(user, language="en", timezone="Europe/Kyiv")
    client.force_login(user)
    return user


def placed_at_nine_thirty_utc(user, service) -> Order:
    order = make_order(user, service)
    Order.objects.filter(pk=order.pk).update(created_at=PLACED)
    order.refresh_from_db()
    return order


def test_the_order_page_shows_the_time_in_the_users_time_zone(client, service):
    order = placed_at_nine_thirty_utc(kyiv_customer(client), service)
    page = client.get(reverse("web:order-detail", args=[order.pk])).content.decode()
    assert "2026-07-01 12:30" in page and "Date (Europe/Kyiv)" in page


def test_the_orders_list_shows_the_time_in_the_users_time_zone(client, service):
    placed_at_nine_thirty_utc(kyiv_customer(client), service)
    page = client.get(reverse("web:orders")).content.decode()
    assert "2026-07-01 12:30" in page and "Date (Europe/Kyiv)" in page


def test_the_transactions_header_names_the_users_time_zone(client, db):
    kyiv_customer(client)
    page = client.get(reverse("web:transactions")).content.decode()
    assert "Date (Europe/Kyiv)" in page and "(UTC)" not in page


def test_anonymous_pages_use_the_panels_time_zone(client, db):
    page = client.get(reverse("web:updates")).content.decode()
    assert "Date (UTC)" in page


def test_a_users_time_zone_does_not_outlive_their_request(client, db):
    kyiv_customer(client)
    client.get(reverse("web:orders"))
    assert timezone.get_current_timezone_name() == "UTC"


def test_a_visitor_whose_browser_states_no_language_gets_the_panels_default(client, db):
    save_settings({"default_language": "uk"})

    page = client.get("/services/").content.decode()

    assert '<html lang="uk">' in page


def test_a_visitors_browser_language_still_wins_over_the_panels_default(client, db):
    save_settings({"default_language": "uk"})

    page = client.get("/services/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<html lang="en">' in page


def test_a_visitor_sees_times_in_the_panels_default_time_zone(client, db):
    save_settings({"default_time_zone": "Europe/Kyiv"})

    page = client.get("/updates/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Date (Europe/Kyiv)" in page


def test_a_new_account_starts_in_the_panels_default_time_zone(client, db):
    save_settings({"default_time_zone": "Europe/Kyiv"})

    client.post(
        "/signup/",
        {
            "email": "zone@example.com",
            "password1": "pw-Test-12345",
            "password2": "pw-Test-12345",
            "accept_terms": "on",
        },
    )

    assert User.objects.get(email="zone@example.com").timezone == "Europe/Kyiv"
