"""Favourites, "Order again" and the services list's filters, over the web pages."""

import html
import re

from smmpanel.catalog.services import set_custom_rate
from smmpanel.money import to_micros
from smmpanel.orders.models import FavouriteService
from smmpanel.orders.services_habits import set_favourite
from tests.factories import make_order, make_service, make_user


def test_a_star_adds_a_favourite_and_returns_to_the_page(client, db):
    user, service = make_user(), make_service()
    client.force_login(user)
    response = client.post(
        "/favourites/", {"service": service.pk, "favourite": "1", "next": "/services/?q=x"}
    )
    assert response.status_code == 302 and response["Location"] == "/services/?q=x"
    assert FavouriteService.objects.filter(user=user, service=service).exists()


def test_htmx_gets_the_new_star_back(client, db):
    user, service = make_user(), make_service()
    set_favourite(user, service, True)
    client.force_login(user)
    response = client.post(
        "/favourites/", {"service": service.pk, "favourite": "0"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert 'aria-pressed="false"' in page and 'name="favourite" value="1"' in page
    assert not FavouriteService.objects.exists()


def test_a_visitor_cannot_star(client, db):
    service = make_service()
    response = client.post("/favourites/", {"service": service.pk, "favourite": "1"})
    assert response.status_code == 302 and "login" in response["Location"]
    assert not FavouriteService.objects.exists()


def test_an_unknown_or_disabled_service_cannot_be_starred(client, db):
    client.force_login(make_user())
    off = make_service(active=False)
    assert client.post("/favourites/", {"service": off.pk, "favourite": "1"}).status_code == 404
    assert client.post("/favourites/", {"service": 999999, "favourite": "1"}).status_code == 404


def names_listed(page: str) -> list[str]:
    return re.findall(r'\?service=\d+">([^<]+)</a>', page)


def test_the_services_list_filters_by_favourites_refill_cancel_and_dripfeed(client, db):
    user = make_user()
    plain = make_service(name="Plain", refill=False, cancel=False)
    refill = make_service(name="Refill only", refill=True, cancel=False)
    drip = make_service(name="Drip", refill=False, cancel=True, dripfeed=True)
    set_favourite(user, plain, True)
    client.force_login(user)
    assert names_listed(client.get("/services/?favourites=1").content.decode()) == ["Plain"]
    assert names_listed(client.get("/services/?refill=1").content.decode()) == ["Refill only"]
    assert names_listed(client.get("/services/?cancel=1&dripfeed=1").content.decode()) == ["Drip"]
    assert refill.pk and drip.pk


def test_the_services_list_sorts_by_the_customers_own_price(client, db):
    user = make_user()
    cheap = make_service(name="Cheap", rate_micros=to_micros("0.50"))
    dear = make_service(name="Dear", rate_micros=to_micros("2.00"))
    make_service(name="Middle", rate_micros=to_micros("1.00"))
    set_custom_rate(user, dear, rate_micros=to_micros("0.10"))  # their own price: cheapest
    client.force_login(user)
    page = client.get("/services/?sort=price").content.decode()
    assert names_listed(page) == ["Dear", "Cheap", "Middle"]
    page = client.get("/services/?sort=-price").content.decode()
    assert names_listed(page) == ["Middle", "Cheap", "Dear"]
    assert cheap.pk


def test_the_own_price_shows_the_list_price_beside_it(client, db):
    user, service = make_user(), make_service(rate_micros=to_micros("0.90"))
    set_custom_rate(user, service, rate_micros=to_micros("0.70"))
    client.force_login(user)
    page = client.get("/services/").content.decode()
    assert '0.70 USD<br><span class="muted">list price 0.90</span>' in page


def test_every_order_offers_order_again_with_its_link_and_quantity(client, db):
    user, service = make_user("10"), make_service()
    order = make_order(user, service, link="https://www.instagram.com/p/Again1/", quantity=250)
    client.force_login(user)
    detail = html.unescape(client.get(f"/orders/{order.pk}/").content.decode())
    url = re.search(r'href="([^"]+)" aria-label="Order again: order \d+"', detail).group(1)
    assert url.startswith("/orders/new/?")
    listing = html.unescape(client.get("/orders/").content.decode())
    assert url in listing
    page = client.get(url).content.decode()
    assert 'value="https://www.instagram.com/p/Again1/"' in page
    assert 'name="quantity" value="250"' in page
    assert f'<option value="{service.pk}" selected>' in page


def test_new_order_shows_the_star_and_the_average_time(client, db):
    user, service = make_user(), make_service()
    set_favourite(user, service, True)
    client.force_login(user)
    page = client.get(f"/orders/new/?service={service.pk}").content.decode()
    assert 'aria-pressed="true"' in page
    assert "<dt>Average time</dt><dd>not enough data</dd>" in page
    assert f"★ {service.pk} — " in page


def test_new_order_can_list_favourites_only(client, db):
    user, liked = make_user(), make_service(name="Liked")
    make_service(name="Other")
    set_favourite(user, liked, True)
    client.force_login(user)
    page = client.get("/orders/new/?favourites=1").content.decode()
    assert "Liked" in page and "Other" not in page
