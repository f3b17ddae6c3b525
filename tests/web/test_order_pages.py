"""Customer order pages: new order, live quote, mass order, orders list, detail, refills,
refill and cancel actions, live rows, and who may see what."""

import html
import re

import pytest
from django.urls import reverse

from smmpanel.billing.models import LedgerEntry
from smmpanel.billing.selectors import balance_of
from smmpanel.catalog.services import set_custom_rate
from smmpanel.money import to_micros
from smmpanel.orders.models import Order, OrderStatus, Refill
from smmpanel.orders.services import complete_order, request_refill
from smmpanel.orders.state import transition
from smmpanel.policy.models import ApiLimit, Restriction
from tests.factories import make_order, make_service, make_user, post_link

GOOD_LINK = "https://www.instagram.com/p/Good1/"


@pytest.fixture
def shopper(client, customer):
    """A signed-in customer with a balance of 100."""
    client.force_login(customer)
    return customer


def error_beside(page: str, field: str) -> str:
    """The text of the error container linked to ``field`` (empty when none)."""
    match = re.search(rf'<div[^>]*id="id_{field}_error"[^>]*>(.*?)</div>', page, re.S)
    assert match, f"no error container for {field}"
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def input_value(page: str, field: str) -> str:
    match = re.search(rf'<input[^>]*name="{field}"[^>]*>', page)
    assert match, f"no input {field}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else ""


def place(client, service, **data):
    return client.post(reverse("web:order-new"), {"service": service.pk, **data})


def quote(client, service, **data):
    return client.post(reverse("web:order-quote"), {"service": service.pk, **data})


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("order-new", {}),
        ("order-mass", {}),
        ("orders", {}),
        ("refills", {}),
        ("orders-live", {}),
        ("order-detail", {"order_id": 1}),
    ],
)
def test_anonymous_visitors_are_sent_to_log_in(client, db, name, kwargs):
    response = client.get(reverse(f"web:{name}", kwargs=kwargs))
    assert response.status_code == 302 and "login" in response["Location"]


def test_anonymous_order_posts_are_sent_to_log_in(client, service, nothing_written):
    with nothing_written():
        response = place(client, service, link=GOOD_LINK, quantity="100")
    assert response.status_code == 302 and "login" in response["Location"]


def test_another_users_order_is_a_404_like_a_missing_one(client, shopper, service):
    order = make_order(make_user("10"), service)
    assert client.get(reverse("web:order-detail", args=[order.pk])).status_code == 404
    assert client.get(reverse("web:order-detail", args=[order.pk + 1000])).status_code == 404


def test_another_users_order_cannot_be_refilled(client, shopper, service, nothing_written):
    other = make_user("10")
    order = complete_order(make_order(other, service))
    with nothing_written(other):
        response = client.post(reverse("web:order-refill", args=[order.pk]))
    assert response.status_code == 404


def test_another_users_order_cannot_be_canceled(client, shopper, service, nothing_written):
    other = make_user("10")
    order = transition(make_order(other, service), OrderStatus.IN_PROGRESS)
    with nothing_written(other):
        response = client.post(reverse("web:order-cancel", args=[order.pk]))
    order.refresh_from_db()
    assert response.status_code == 404 and order.cancel_requested_at is None


def test_refill_needs_post(client, shopper, service):
    order = make_order(shopper, service)
    assert client.get(reverse("web:order-refill", args=[order.pk])).status_code == 405


# --- new order ----------------------------------------------------------------------------


def test_the_new_order_page_lists_services_grouped_by_platform_and_category(
    client, shopper, service
):
    page = client.get(reverse("web:order-new")).content.decode()
    assert '<optgroup label="Instagram — Likes">' in page and service.name in page


def test_a_preselected_service_shows_its_rules_and_link_format(client, shopper, service):
    page = client.get(reverse("web:order-new"), {"service": service.pk}).content.decode()
    assert "Instagram post or reel link" in page
    assert service.link_format_spec.example in page
    assert "Yes, for 30 days after completion" in page
    assert f'value="{service.pk}" selected' in page


def service_option(page: str, service) -> str:
    """The text of ``service``'s option in the service picker."""
    picker = re.search(r'<select id="pick-service".*?</select>', page, re.S)
    assert picker, "no service picker"
    match = re.search(rf'<option value="{service.pk}"[^>]*>(.*?)</option>', picker.group(0))
    assert match, f"no option for service {service.pk}"
    return html.unescape(match.group(1))


def price_shown(page: str) -> str:
    """The price the customer pays, as the service details show it (a different list
    price follows it, muted)."""
    match = re.search(r"<dt>Price per 1000</dt><dd>(.*?)(?: <span class=\"muted\">.*?)?</dd>", page)
    assert match, "no price in the service details"
    return match.group(1)


def test_the_service_picker_shows_the_customers_own_rate(client, shopper, service):
    other = make_service(rate_micros=to_micros("2.00"))
    set_custom_rate(shopper, service, rate_micros=to_micros("0.50"))
    page = client.get(reverse("web:order-new")).content.decode()
    assert service_option(page, service).endswith("— 0.50 USD / 1000")
    assert service_option(page, other).endswith("— 2.00 USD / 1000")  # no rule: list rate


def test_the_service_details_show_the_customers_own_rate(client, shopper, service):
    set_custom_rate(shopper, None, discount_bp=2000)  # 20 % off everything
    page = client.get(reverse("web:order-new"), {"service": service.pk}).content.decode()
    assert price_shown(page) == "0.72 USD"
    assert service_option(page, service).endswith("— 0.72 USD / 1000")


def test_the_shown_rate_is_the_rate_the_quote_charges(client, shopper, service):
    set_custom_rate(shopper, service, rate_micros=to_micros("0.50"))
    page = client.get(reverse("web:order-new"), {"service": service.pk}).content.decode()
    fragment = quote(client, service, link=GOOD_LINK, quantity="1000").content.decode()
    assert price_shown(page) == "0.50 USD" and "Charge: 0.50 USD" in fragment


def test_another_customers_own_rate_is_not_shown(client, shopper, service):
    set_custom_rate(make_user(), service, rate_micros=to_micros("0.10"))
    page = client.get(reverse("web:order-new"), {"service": service.pk}).content.decode()
    assert price_shown(page) == "0.90 USD"
    assert service_option(page, service).endswith("— 0.90 USD / 1000")


def test_the_service_search_narrows_the_list(client, shopper, service):
    other = make_service(name="Telegram Views", platform="Telegram", link_format="telegram_post")
    page = client.get(reverse("web:order-new"), {"q": "telegram"}).content.decode()
    assert other.name in page and service.name not in page


def test_a_default_service_asks_for_link_and_quantity(client, shopper, service):
    page = client.get(reverse("web:order-new"), {"service": service.pk}).content.decode()
    assert 'name="link"' in page and 'name="quantity"' in page and 'name="comments"' not in page


def test_custom_comments_ask_for_comments_not_quantity(client, shopper):
    service = make_service(type="custom comments", min_quantity=1)
    page = client.get(reverse("web:order-new"), {"service": service.pk}).content.decode()
    assert '<textarea name="comments"' in page and 'name="quantity"' not in page


def test_mentions_custom_list_asks_for_usernames(client, shopper):
    service = make_service(type="mentions custom list", min_quantity=1)
    page = client.get(reverse("web:order-new"), {"service": service.pk}).content.decode()
    assert '<textarea name="usernames"' in page


def test_a_poll_asks_for_the_answer_number(client, shopper):
    service = make_service(type="poll", link_format="telegram_post")
    page = client.get(reverse("web:order-new"), {"service": service.pk}).content.decode()
    assert 'name="answer_number"' in page and 'name="quantity"' in page


def test_a_drip_feed_service_asks_for_runs_and_interval(client, shopper):
    service = make_service(dripfeed=True)
    page = client.get(reverse("web:order-new"), {"service": service.pk}).content.decode()
    assert 'name="runs"' in page and 'name="interval"' in page


def test_a_service_without_drip_feed_has_no_runs(client, shopper, service):
    page = client.get(reverse("web:order-new"), {"service": service.pk}).content.decode()
    assert 'name="runs"' not in page


def test_subscriptions_ask_for_username_and_limits_not_a_link(client, shopper):
    service = make_service(type="subscriptions", link_format="instagram_profile")
    page = client.get(reverse("web:order-new"), {"service": service.pk}).content.decode()
    assert all(f'name="{n}"' in page for n in ("username", "min", "max", "posts"))
    assert 'name="link"' not in page


def test_every_order_input_has_a_label_and_a_linked_error(client, shopper):
    service = make_service(dripfeed=True)
    page = client.get(reverse("web:order-new"), {"service": service.pk}).content.decode()
    for name in ("link", "quantity", "runs", "interval"):
        assert f'<label for="id_{name}">' in page
        assert re.search(rf'id="id_{name}"[^>]*aria-describedby="[^"]*id_{name}_error', page) or (
            re.search(rf'aria-describedby="[^"]*id_{name}_error"[^>]*id="id_{name}"', page)
        )


def test_placing_an_order_charges_once_and_redirects_with_its_number(client, shopper, service):
    response = place(client, service, link=GOOD_LINK, quantity="100")
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:order-detail", args=[order.pk])
    assert LedgerEntry.objects.filter(order=order, kind="charge").count() == 1
    assert balance_of(shopper) == to_micros("100") - order.charge_micros == to_micros("99.91")
    page = client.get(response["Location"]).content.decode()
    assert f"Order {order.pk} is placed." in page


def test_an_order_from_the_web_is_marked_as_such(client, shopper, service):
    place(client, service, link=GOOD_LINK, quantity="100")
    assert Order.objects.get().source == "web"


def test_a_link_of_the_wrong_shape_is_refused_beside_the_link_with_input_kept(
    client, shopper, service
):
    profile = "https://www.instagram.com/someone/"
    page = place(client, service, link=profile, quantity="100").content.decode()
    message = error_beside(page, "link")
    assert "Instagram post or reel link" in message and service.link_format_spec.example in message
    assert input_value(page, "link") == profile and input_value(page, "quantity") == "100"
    assert not Order.objects.exists() and balance_of(shopper) == to_micros("100")


def test_a_quantity_below_the_minimum_is_refused_beside_the_quantity(client, shopper, service):
    page = place(client, service, link=GOOD_LINK, quantity="10").content.decode()
    assert error_beside(page, "quantity") == "Quantity less than minimal 50"
    assert error_beside(page, "link") == ""
    assert input_value(page, "link") == GOOD_LINK and input_value(page, "quantity") == "10"
    assert not Order.objects.exists()


def test_a_refused_field_is_marked_invalid(client, shopper, service):
    page = place(client, service, link=GOOD_LINK, quantity="10").content.decode()
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*name="quantity"', page) or re.search(
        r'<input[^>]*name="quantity"[^>]*aria-invalid="true"', page
    )


def test_not_enough_funds_is_said_beside_the_quantity(client, db, service):
    client.force_login(make_user("0.01"))
    page = place(client, service, link=GOOD_LINK, quantity="100").content.decode()
    assert error_beside(page, "quantity") == "Not enough funds on balance"


def test_custom_comments_order_as_many_as_there_are_lines(client, shopper):
    service = make_service(type="custom comments", min_quantity=1, max_quantity=100)
    place(client, service, link=GOOD_LINK, comments="Nice!\n\nGreat shot\nWow\n")
    order = Order.objects.get()
    assert order.quantity == 3 and order.params["comments"] == "Nice!\nGreat shot\nWow"


def test_a_policy_refusal_is_shown_in_ukrainian_to_a_ukrainian_user(client, shopper, service):
    client.cookies["django_language"] = "uk"
    page = place(client, service, link="https://www.instagram.com/someone/", quantity="100")
    assert "Посилання не підходить для цієї послуги" in error_beside(page.content.decode(), "link")


def test_an_inactive_service_cannot_be_ordered(client, shopper, nothing_written):
    service = make_service(active=False)
    with nothing_written(shopper):
        response = place(client, service, link=GOOD_LINK, quantity="100")
    assert response.status_code == 302 and response["Location"] == reverse("web:order-new")


# --- live quote ---------------------------------------------------------------------------


def test_the_quote_prices_valid_input(client, shopper, service, nothing_written):
    with nothing_written(shopper):
        fragment = quote(client, service, link=GOOD_LINK, quantity="1000").content.decode()
    assert "0.90 USD" in fragment
    assert error_beside(fragment, "quantity") == "" and error_beside(fragment, "link") == ""


def test_the_quote_prices_all_drip_feed_runs(client, shopper):
    service = make_service(dripfeed=True)
    fragment = quote(client, service, link=GOOD_LINK, quantity="1000", runs="3", interval="10")
    assert "2.70 USD" in fragment.content.decode()


def test_the_quote_gives_the_server_message_beside_the_quantity(client, shopper, service):
    fragment = quote(client, service, link=GOOD_LINK, quantity="10").content.decode()
    assert error_beside(fragment, "quantity") == "Quantity less than minimal 50"
    assert 'hx-swap-oob="innerHTML"' in fragment


def test_the_quote_shows_no_charge_for_a_quantity_below_the_minimum(client, shopper, service):
    fragment = quote(client, service, link=GOOD_LINK, quantity="10").content.decode()
    assert "Charge" not in fragment and "for 50 units" not in fragment
    assert "Correct the marked fields to see the price." in fragment


def test_the_quote_shows_no_charge_for_a_refused_link(client, shopper, service):
    make_order(shopper, service, link=GOOD_LINK)
    fragment = quote(client, service, link=GOOD_LINK, quantity="100").content.decode()
    assert error_beside(fragment, "link") and "Charge" not in fragment


def test_the_quote_gives_the_server_message_beside_a_wrong_link(client, shopper, service):
    fragment = quote(client, service, link="https://x.com/someone", quantity="100")
    message = error_beside(fragment.content.decode(), "link")
    assert message.startswith("This link does not fit the service: expected Instagram post")


def test_the_quote_checks_the_quantity_even_when_the_link_is_bad(client, shopper, service):
    fragment = quote(client, service, link="not a link", quantity="99999").content.decode()
    assert error_beside(fragment, "link") == "Link must not contain spaces"
    assert error_beside(fragment, "quantity") == "Quantity more than maximum 10000"


def test_the_quote_does_not_scold_a_field_not_yet_filled(client, shopper, service):
    fragment = quote(client, service, link=GOOD_LINK, quantity="").content.decode()
    assert error_beside(fragment, "quantity") == ""
    assert "Quantity is required" in fragment


def test_the_quote_counts_comment_lines(client, shopper):
    service = make_service(type="custom comments", min_quantity=1, rate_micros=to_micros("10"))
    fragment = quote(client, service, link=GOOD_LINK, comments="a\nb\nc").content.decode()
    assert "0.03 USD" in fragment and "for 3 units" in fragment


def test_the_quote_records_no_refusal(client, shopper, service, nothing_written):
    from smmpanel.audit.models import Decision

    with nothing_written(shopper):
        quote(client, service, link="https://x.com/someone", quantity="1")
    assert not Decision.objects.exists()


def test_the_quote_warns_of_an_active_order_on_the_same_link(client, shopper, service):
    make_order(shopper, service, link=GOOD_LINK)
    fragment = quote(client, service, link=GOOD_LINK, quantity="100").content.decode()
    assert error_beside(fragment, "link").startswith("You have active order with this link")


# --- mass order ---------------------------------------------------------------------------


def test_a_mass_order_places_good_lines_and_refuses_bad_ones_with_reasons(client, shopper, service):
    text = "\n".join(
        [
            f"{service.pk} | {post_link(1)} | 100",
            f"{service.pk} | https://www.instagram.com/p/Bad1/ | 5",
            "just some words",
            f"999999 | {post_link(2)} | 100",
            f"{service.pk} | {post_link(3)} | 200",
        ]
    )
    page = client.post(reverse("web:order-mass"), {"orders": text}, follow=True).content.decode()
    placed = list(Order.objects.order_by("id"))
    assert [o.quantity for o in placed] == [100, 200]
    assert balance_of(shopper) == to_micros("100") - sum(o.charge_micros for o in placed)
    for order in placed:
        assert reverse("web:order-detail", args=[order.pk]) in page
    assert "Quantity less than minimal 50" in page
    assert "Expected service_id | link | quantity" in page
    assert "Incorrect service ID" in page
    assert "2 lines accepted" in page and "3 lines refused" in page


def test_a_mass_order_gives_back_the_refused_lines_to_fix(client, shopper, service):
    bad = f"{service.pk} | https://www.instagram.com/p/Bad1/ | 5"
    text = f"{service.pk} | {post_link(1)} | 100\n{bad}"
    page = client.post(reverse("web:order-mass"), {"orders": text}, follow=True).content.decode()
    textarea = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S).group(1)
    assert html.unescape(textarea).strip() == bad


def test_a_mass_order_answers_with_a_redirect_so_a_reload_places_nothing_twice(
    client, shopper, service
):
    text = f"{service.pk} | {post_link(1)} | 100"
    response = client.post(reverse("web:order-mass"), {"orders": text})
    assert response.status_code == 302 and response["Location"] == reverse("web:order-mass")
    assert "1 line accepted" in client.get(response["Location"]).content.decode()
    assert "1 line accepted" not in client.get(response["Location"]).content.decode()
    assert Order.objects.count() == 1


def test_a_mass_order_with_many_typos_places_every_good_line_and_limits_nothing(
    client, shopper, service
):
    """50 lines, every other one a typo: at the default thresholds (10 invalid orders in
    10 minutes refuse, 20 limit the API) one submission must not escalate."""
    text = "\n".join(f"{service.pk} | {post_link(n)} | {5 if n % 2 else 100}" for n in range(50))
    page = client.post(reverse("web:order-mass"), {"orders": text}, follow=True).content.decode()
    assert "25 lines accepted" in page and "25 lines refused" in page
    assert not ApiLimit.objects.filter(user=shopper).exists()
    assert not Restriction.objects.filter(user=shopper).exists()


def test_a_mass_order_of_more_than_500_lines_places_nothing(
    client, shopper, service, nothing_written
):
    text = "\n".join(f"{service.pk} | {post_link(n)} | 100" for n in range(501))
    with nothing_written(shopper):
        page = client.post(reverse("web:order-mass"), {"orders": text}).content.decode()
    assert "At most 500 lines" in error_beside(page, "orders")


# --- orders list --------------------------------------------------------------------------


def test_the_orders_list_shows_the_users_orders_only(client, shopper, service):
    mine = make_order(shopper, service)
    theirs = make_order(make_user("10"), service)
    page = client.get(reverse("web:orders")).content.decode()
    assert f'id="order-{mine.pk}"' in page and f'id="order-{theirs.pk}"' not in page


def test_the_orders_list_filters_by_status(client, shopper, service):
    done = complete_order(make_order(shopper, service))
    pending = make_order(shopper, service)
    page = client.get(reverse("web:orders"), {"status": "completed"}).content.decode()
    assert f'id="order-{done.pk}"' in page and f'id="order-{pending.pk}"' not in page


def test_review_and_fail_are_shown_with_an_explanation(client, shopper, service):
    transition(make_order(shopper, service), OrderStatus.FAIL)
    page = client.get(reverse("web:orders"), {"status": "fail"}).content.decode()
    assert '<span class="status">Fail</span>' in page
    assert "The provider could not take it" in page


def test_the_orders_list_searches_by_id_and_by_link(client, shopper, service):
    wanted = make_order(shopper, service, link="https://www.instagram.com/p/FindMe9/")
    other = make_order(shopper, service)
    by_link = client.get(reverse("web:orders"), {"q": "FindMe9"}).content.decode()
    by_id = client.get(reverse("web:orders"), {"q": str(other.pk)}).content.decode()
    assert f'id="order-{wanted.pk}"' in by_link and f'id="order-{other.pk}"' not in by_link
    assert f'id="order-{other.pk}"' in by_id and f'id="order-{wanted.pk}"' not in by_id


def test_the_orders_list_finds_a_pasted_link_in_another_spelling(client, shopper, service):
    wanted = make_order(shopper, service, link="https://www.instagram.com/p/FindMe9/")
    other = make_order(shopper, service)
    pasted = "https://instagram.com/p/FindMe9?igsh=MTc4"
    page = client.get(reverse("web:orders"), {"q": pasted}).content.decode()
    assert f'id="order-{wanted.pk}"' in page and f'id="order-{other.pk}"' not in page


def test_the_orders_list_pages_by_id(client, shopper, service, monkeypatch):
    monkeypatch.setattr("smmpanel.web.views.orders.PAGE_SIZE", 2)
    orders = [make_order(shopper, service) for _ in range(3)]
    first = client.get(reverse("web:orders")).content.decode()
    assert f"before={orders[1].pk}" in first and f'id="order-{orders[0].pk}"' not in first
    second = client.get(reverse("web:orders"), {"before": orders[1].pk}).content.decode()
    assert f'id="order-{orders[0].pk}"' in second and f'id="order-{orders[1].pk}"' not in second
    assert "Older orders" not in second


def test_the_next_page_link_keeps_the_filter_and_search(client, shopper, service, monkeypatch):
    monkeypatch.setattr("smmpanel.web.views.orders.PAGE_SIZE", 1)
    for _ in range(2):
        make_order(shopper, service)
    page = client.get(reverse("web:orders"), {"status": "pending", "q": "instagram"})
    assert re.search(
        r'href="\?status=pending&amp;q=instagram&amp;before=\d+"', page.content.decode()
    )


def test_the_cancel_button_shows_only_where_cancel_is_allowed(client, shopper, service):
    pending = make_order(shopper, service)
    done = complete_order(make_order(shopper, service))
    page = client.get(reverse("web:orders")).content.decode()
    assert reverse("web:order-cancel", args=[pending.pk]) in page
    assert reverse("web:order-cancel", args=[done.pk]) not in page


def test_the_refill_button_shows_only_where_refill_is_allowed(client, shopper, service):
    pending = make_order(shopper, service)
    done = complete_order(make_order(shopper, service))
    no_refill = complete_order(make_order(shopper, make_service(refill=False, refill_days=0)))
    page = client.get(reverse("web:orders")).content.decode()
    assert reverse("web:order-refill", args=[done.pk]) in page
    assert reverse("web:order-refill", args=[pending.pk]) not in page
    assert reverse("web:order-refill", args=[no_refill.pk]) not in page


def test_unfinished_orders_on_the_page_are_polled(client, shopper, service):
    pending = make_order(shopper, service)
    done = complete_order(make_order(shopper, service))
    page = client.get(reverse("web:orders")).content.decode()
    assert 'hx-trigger="every 5s"' in page
    assert f'name="ids" value="{pending.pk}"' in page and f'value="{done.pk}"' not in page


def test_a_page_of_finished_orders_is_not_polled(client, shopper, service):
    complete_order(make_order(shopper, service))
    assert "every 5s" not in client.get(reverse("web:orders")).content.decode()


# --- refill and cancel --------------------------------------------------------------------


def test_cancelling_a_pending_order_refunds_it_and_says_so(client, shopper, service):
    order = make_order(shopper, service)
    response = client.post(
        reverse("web:order-cancel", args=[order.pk]), {"next": reverse("web:orders")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("web:orders")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELED and balance_of(shopper) == to_micros("100")
    assert f"Order {order.pk} is canceled" in client.get(reverse("web:orders")).content.decode()


def test_the_cancel_button_leads_to_a_confirmation_instead_of_canceling(client, shopper, service):
    order = make_order(shopper, service)
    page = client.get(reverse("web:orders")).content.decode()
    cancel_url = reverse("web:order-cancel", args=[order.pk])
    assert f'<form method="post" action="{cancel_url}"' not in page
    assert f'href="{cancel_url}?next=' in page


def test_the_cancel_confirmation_page_cancels_nothing_until_confirmed(
    client, shopper, service, nothing_written
):
    order = make_order(shopper, service)
    cancel_url = reverse("web:order-cancel", args=[order.pk])
    with nothing_written(shopper):
        page = client.get(cancel_url, {"next": reverse("web:orders")}).content.decode()
    assert f"Cancel order {order.pk}?" in page
    assert f'<form method="post" action="{cancel_url}">' in page
    assert f'name="next" value="{reverse("web:orders")}"' in page


def test_the_cancel_confirmation_of_a_finished_order_goes_back_with_a_message(
    client, shopper, service
):
    order = complete_order(make_order(shopper, service))
    response = client.get(reverse("web:order-cancel", args=[order.pk]), follow=True)
    assert f"Order {order.pk} can no longer be canceled." in response.content.decode()


def test_cancelling_an_order_in_progress_records_the_request(client, shopper, service):
    order = transition(make_order(shopper, service), OrderStatus.IN_PROGRESS)
    client.post(reverse("web:order-cancel", args=[order.pk]))
    order.refresh_from_db()
    assert order.cancel_requested_at is not None and order.status == OrderStatus.IN_PROGRESS


def test_requesting_a_refill_opens_one_and_says_so(client, shopper, service):
    order = complete_order(make_order(shopper, service))
    response = client.post(reverse("web:order-refill", args=[order.pk]))
    refill = Refill.objects.get(order=order)
    assert response["Location"] == reverse("web:order-detail", args=[order.pk])
    page = client.get(response["Location"]).content.decode()
    assert f"Refill {refill.pk} is requested for order {order.pk}." in page


def test_a_refused_refill_shows_the_reason(client, shopper, service):
    order = make_order(shopper, service)
    response = client.post(reverse("web:order-refill", args=[order.pk]), follow=True)
    assert "Refill is available only for completed orders" in response.content.decode()
    assert not Refill.objects.exists()


def test_an_action_never_redirects_off_site(client, shopper, service):
    order = make_order(shopper, service)
    response = client.post(
        reverse("web:order-cancel", args=[order.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("web:order-detail", args=[order.pk])


# --- live rows ----------------------------------------------------------------------------


def test_live_rows_refresh_the_users_unfinished_orders(client, shopper, service):
    order = make_order(shopper, service)
    transition(order, OrderStatus.IN_PROGRESS, start_count=1234)
    response = client.get(reverse("web:orders-live"), {"ids": str(order.pk)})
    fragment = response.content.decode()
    assert response.status_code == 200
    assert f'<tr id="order-{order.pk}" hx-swap-oob="true">' in fragment
    assert "In progress" in fragment and "1,234" in fragment


def test_live_rows_leave_out_other_users_orders(client, shopper, service):
    theirs = make_order(make_user("10"), service)
    mine = make_order(shopper, service)
    fragment = client.get(reverse("web:orders-live"), {"ids": f"{mine.pk},{theirs.pk}"})
    assert f"order-{mine.pk}" in fragment.content.decode()
    assert f"order-{theirs.pk}" not in fragment.content.decode()


def test_live_rows_stop_the_polling_once_all_are_finished(client, shopper, service):
    order = complete_order(make_order(shopper, service))
    response = client.get(reverse("web:orders-live"), {"ids": str(order.pk)})
    assert response.status_code == 286 and "Completed" in response.content.decode()


def test_live_rows_accept_repeated_ids(client, shopper, service):
    a, b = make_order(shopper, service), make_order(shopper, service)
    response = client.get(f"{reverse('web:orders-live')}?ids={a.pk}&ids={b.pk}")
    assert response.content.decode().count("hx-swap-oob") == 2


# --- detail and refills -------------------------------------------------------------------


def test_the_order_page_shows_the_timeline_and_refills(client, shopper, service):
    order = complete_order(make_order(shopper, service), start_count=500)
    refill = request_refill(shopper, order.pk)
    page = client.get(reverse("web:order-detail", args=[order.pk])).content.decode()
    assert "placed: Pending" in page and "Pending → Completed" in page
    assert f"Refill {refill.pk}" in page and "500" in page


def test_the_refills_page_lists_refills_with_status(client, shopper, service):
    order = complete_order(make_order(shopper, service))
    refill = request_refill(shopper, order.pk)
    theirs_user = make_user("10")
    theirs = request_refill(theirs_user, complete_order(make_order(theirs_user, service)).pk)
    page = client.get(reverse("web:refills")).content.decode()
    assert f"<td>{refill.pk}</td>" in page and '<span class="status">Pending</span>' in page
    assert f"<td>{theirs.pk}</td>" not in page


def test_the_refills_page_pages_by_id(client, shopper, service, monkeypatch):
    monkeypatch.setattr("smmpanel.web.views.orders.PAGE_SIZE", 1)
    refills = [
        request_refill(shopper, complete_order(make_order(shopper, service)).pk) for _ in range(2)
    ]
    first = client.get(reverse("web:refills")).content.decode()
    second = client.get(reverse("web:refills"), {"before": refills[1].pk}).content.decode()
    assert f"<td>{refills[1].pk}</td>" in first and f"<td>{refills[0].pk}</td>" not in first
    assert f"<td>{refills[0].pk}</td>" in second


def test_the_quote_checks_the_link_shape_while_the_quantity_is_wrong(client, shopper, service):
    fragment = quote(client, service, link="https://x.com/someone", quantity="10").content.decode()
    assert error_beside(fragment, "quantity") == "Quantity less than minimal 50"
    assert error_beside(fragment, "link").startswith("This link does not fit the service")
