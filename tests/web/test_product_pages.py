"""The drip-feed page: each drip-feed order with its runs and the next one's time."""

from datetime import timedelta

from django.utils import timezone

from smmpanel.providers.models import Submission
from tests.factories import make_order, make_service, make_user


def test_the_drip_feed_page_lists_only_the_customers_own(client, db):
    user, other = make_user("100"), make_user("100")
    service = make_service(dripfeed=True, name="Drip Likes")
    mine = make_order(user, service, quantity=100, runs=3, interval=30)
    theirs = make_order(other, service, quantity=100, runs=3, interval=30)
    client.force_login(user)
    page = client.get("/dripfeed/").content.decode()
    assert f'href="/orders/{mine.pk}/"' in page and f'href="/orders/{theirs.pk}/"' not in page
    assert "<td>0 / 3</td>" in page
    assert f'href="/orders/{mine.pk}/cancel/?next=' in page
    due = timezone.localtime(Submission.objects.get(order=mine, run=1).next_attempt_at) + timedelta(
        0
    )
    assert due.strftime("%Y-%m-%d %H:%M") in page


def test_the_drip_feed_page_asks_visitors_to_sign_in(client, db):
    response = client.get("/dripfeed/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_subscriptions_page_shows_each_subscription_and_its_state(client, db):
    user = make_user("100")
    subs = make_service(type="subscriptions", link_format="instagram_profile", name="IG Auto")
    order = make_order(
        user,
        subs,
        username="natgeo",
        min="100",
        max="200",
        posts="5",
        delay="30",
        expiry="31/12/2030",
    )
    client.force_login(user)
    page = client.get("/subscriptions/").content.decode()
    row = page[page.index(f'id="subscription-{order.pk}"') :]
    row = row[: row.index("</tr>")]
    for text in ("@natgeo", "0 of 5", "100 – 200", "30 minutes", "2030-12-31", "Active"):
        assert text in row, text
    assert f'href="/orders/{order.pk}/cancel/?next=' in row


def test_the_subscriptions_page_asks_visitors_to_sign_in(client, db):
    response = client.get("/subscriptions/")
    assert response.status_code == 302 and "login" in response["Location"]
