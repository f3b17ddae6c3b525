"""Public pages: price list, service updates, Acceptable Use and Terms in en and uk, and
the API documentation, whose examples are checked against the real API."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from smmpanel.api import docs
from smmpanel.api.actions import ACTIONS
from smmpanel.catalog.service_types import SERVICE_TYPES
from smmpanel.catalog.services import (
    get_or_create_category,
    set_custom_rate,
    update_service,
)
from smmpanel.money import to_micros
from smmpanel.orders.services import complete_order, request_refill
from smmpanel.policy.services import limit_api
from tests.factories import make_order, make_service, make_user

CYRILLIC = re.compile(r"[А-Яа-яІіЇїЄєҐґ]")
AUP_SECTIONS_EN = [
    "Responsible use",
    "Do not use",
    "Practical rules before you order",
    "What happens if the policy is broken",
    "open a support ticket",
]
AUP_SECTIONS_UK = [
    "Відповідальне використання",
    "Не використовуйте",
    "Практичні правила перед замовленням",
    "Що буває в разі порушення правил",
    "відкрийте звернення в підтримку",
]


def get(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def article(html: str) -> str:
    return html[html.index("<article") : html.index("</article>")]


# --- services ---------------------------------------------------------------------------


@pytest.fixture
def catalog(db):
    return {
        "ig_likes": make_service(
            name="Instagram Likes Real",
            start_time="0-1 hour",
            speed="5K/day",
            refill_days=30,
        ),
        "ig_views": make_service(name="Instagram Reel Views", refill=False, refill_days=0),
        "tt_followers": make_service(
            name="TikTok Followers HQ",
            platform="TikTok",
            link_format="tiktok_profile",
            cancel=False,
        ),
        "uk_named": make_service(name="Лайки Instagram українські"),
        "hidden": make_service(name="Instagram Retired Service", active=False),
    }


def test_the_price_list_needs_no_login(client, catalog):
    html = get(client, "/services/")
    assert "Instagram Likes Real" in html and "TikTok Followers HQ" in html
    assert "Instagram Retired Service" not in html


def test_the_price_list_shows_rate_limits_refill_cancel_times_and_link_format(client, catalog):
    html = get(client, "/services/", q="Likes Real")
    assert "0.90 USD" in html and ">50 – 10,000<" in html
    assert "30 days" in html and "0-1 hour" in html and "5K/day" in html
    assert "Instagram post or reel link" in html


def test_the_price_list_filters_by_platform(client, catalog):
    html = get(client, "/services/", platform="tiktok")
    assert "TikTok Followers HQ" in html and "Instagram Likes Real" not in html


def test_the_price_list_filters_by_category(client, catalog):
    category = get_or_create_category("TikTok", "Likes")
    html = get(client, "/services/", category=category.pk)
    assert "TikTok Followers HQ" in html and "Instagram Reel Views" not in html


def test_the_price_list_searches_names_case_insensitively(client, catalog):
    html = get(client, "/services/", q="reel views")
    assert "Instagram Reel Views" in html and "Instagram Likes Real" not in html


def test_the_price_list_searches_cyrillic_names_case_insensitively(client, catalog):
    html = get(client, "/services/", q="ЛАЙКИ")
    assert "Лайки Instagram українські" in html and "Instagram Likes Real" not in html


def test_the_price_list_finds_a_service_by_id(client, catalog):
    html = get(client, "/services/", q=str(catalog["ig_views"].pk))
    assert "Instagram Reel Views" in html


def test_the_price_list_ignores_nonsense_filters(client, catalog):
    html = get(client, "/services/", category="1 OR 1=1", platform="<script>")
    assert "No services match these filters." in html


def test_the_price_list_costs_a_fixed_number_of_queries(
    client, catalog, django_assert_max_num_queries
):
    for i in range(30):
        make_service(name=f"Bulk {i}", platform=f"Platform {i % 5}")
    # Services, platforms and categories, average times, the footer's pages.
    with django_assert_max_num_queries(5):
        client.get("/services/")


def rate_cell(html: str, service) -> str:
    """The rate column of ``service``'s row in the price list (the price the reader
    pays; a different list price follows it on a line of its own)."""
    row = re.search(rf"<td>{service.pk}</td>.*?</tr>", html, re.S)
    assert row, f"no row for service {service.pk}"
    return re.findall(r"<td>(.*?)</td>", row.group(0), re.S)[2].split("<br>")[0]


def test_a_signed_in_customer_sees_their_own_rate_in_the_price_list(client, catalog):
    customer = make_user()
    set_custom_rate(customer, catalog["ig_likes"], rate_micros=to_micros("0.50"))
    client.force_login(customer)
    html = get(client, "/services/")
    assert rate_cell(html, catalog["ig_likes"]) == "0.50 USD"
    assert rate_cell(html, catalog["ig_views"]) == "0.90 USD"  # no rule there: list rate
    assert "The rates shown are your own prices" in html


def test_a_customers_discount_for_every_service_shows_in_the_price_list(client, catalog):
    customer = make_user()
    set_custom_rate(customer, None, discount_bp=1000)  # 10 %
    client.force_login(customer)
    html = get(client, "/services/")
    assert rate_cell(html, catalog["ig_likes"]) == "0.81 USD"
    assert rate_cell(html, catalog["tt_followers"]) == "0.81 USD"


def test_another_customer_sees_list_rates_in_the_price_list(client, catalog):
    set_custom_rate(make_user(), catalog["ig_likes"], rate_micros=to_micros("0.50"))
    client.force_login(make_user())
    html = get(client, "/services/")
    assert rate_cell(html, catalog["ig_likes"]) == "0.90 USD"
    assert "The rates shown are your own prices" not in html


def test_anonymous_visitors_see_list_rates_in_the_price_list(client, catalog):
    set_custom_rate(make_user(), None, discount_bp=5000)
    html = get(client, "/services/")
    assert rate_cell(html, catalog["ig_likes"]) == "0.90 USD"


@pytest.mark.django_db(transaction=True)  # the rule committed, as staff's save is
def test_own_prices_cost_the_same_queries_however_many_services(client, catalog):
    customer = make_user()
    set_custom_rate(customer, None, discount_bp=1000)
    client.force_login(customer)
    client.get("/services/")  # warm: the rule rows and other per-process caches
    with CaptureQueriesContext(connection) as small:
        client.get("/services/")
    for i in range(30):
        make_service(name=f"Bulk {i}", platform=f"Platform {i % 5}")
    with CaptureQueriesContext(connection) as large:
        client.get("/services/")
    assert len(large.captured_queries) == len(small.captured_queries)
    rules = [q for q in large.captured_queries if "catalog_customrate" in q["sql"]]
    assert len(rules) == 1


# --- updates -----------------------------------------------------------------------------


def test_the_updates_page_shows_a_rate_change(client, catalog):
    update_service(catalog["ig_likes"], rate_micros=to_micros("1.25"))
    html = get(client, "/updates/")
    assert "Instagram Likes Real" in html and "Rate changed" in html
    assert "0.90" in html and "1.25" in html


def test_the_updates_page_pages_by_keyset(client, db):
    service = make_service(name="Paged Service")
    for i in range(60):
        update_service(service, max_quantity=20000 + i)
    changed_to = "<td>{}</td></tr>".format  # the "after" cell ends the row

    first = get(client, "/updates/")
    assert changed_to(20059) in first and changed_to(20010) in first
    assert changed_to(20009) not in first
    cursor = re.search(r'href="\?before=(\d+)"', first).group(1)
    second = get(client, "/updates/", before=cursor)
    assert changed_to(20009) in second and changed_to(20010) not in second


# --- policy pages -------------------------------------------------------------------------


def test_the_aup_is_english_by_default(client, db):
    html = get(client, "/policy/acceptable-use/")
    text = article(html)
    assert "Acceptable Use Policy" in text
    for section in AUP_SECTIONS_EN:
        assert section in text
    assert not CYRILLIC.search(text)


def test_the_aup_is_ukrainian_with_the_language_cookie(client, db):
    client.cookies["django_language"] = "uk"
    text = article(get(client, "/policy/acceptable-use/"))
    assert "Правила допустимого використання" in text
    for section in AUP_SECTIONS_UK:
        assert section in text
    assert "Responsible use" not in text


def test_the_aup_is_ukrainian_for_a_browser_that_prefers_it(client, db):
    html = client.get("/policy/acceptable-use/", HTTP_ACCEPT_LANGUAGE="uk-UA,uk;q=0.9").content
    assert "Правила допустимого використання" in html.decode()


def test_every_aup_rule_says_how_it_is_enforced_in_both_languages(client, db):
    english = article(get(client, "/policy/acceptable-use/"))
    client.cookies["django_language"] = "uk"
    ukrainian = article(get(client, "/policy/acceptable-use/"))
    rules = 6 + 8 + 6 + 4  # responsible use, do-nots, practical rules, consequences
    assert english.count("How the panel enforces it:") == rules
    assert ukrainian.count("Як панель це забезпечує:") == rules


def test_the_terms_exist_in_english_and_ukrainian(client, db):
    english = article(get(client, "/policy/terms/"))
    assert "Terms of Service" in english and "delivers nothing itself" in english
    assert not CYRILLIC.search(english)
    client.cookies["django_language"] = "uk"
    ukrainian = article(get(client, "/policy/terms/"))
    assert "Умови використання" in ukrainian and "Панель сама нічого не виконує" in ukrainian


# --- API documentation --------------------------------------------------------------------


def test_the_api_docs_list_every_action(client, db):
    html = get(client, "/api-docs/")
    for action in ACTIONS:
        assert f"action={action}" in html


def test_every_action_is_documented_with_an_example():
    for name, doc in docs.action_docs():
        assert doc is not None and doc.examples, name


def test_the_api_docs_list_every_service_type_with_its_parameters(client, db):
    html = get(client, "/api-docs/")
    for stype in SERVICE_TYPES:
        assert f"<strong><code>{stype.name}</code></strong>" in html
        for param in stype.params:
            assert f"<code>{param}</code>" in html


def test_every_service_type_parameter_has_an_explanation():
    for type_doc in docs.type_docs():
        for param in type_doc.required + type_doc.optional:
            assert param.help, f"{type_doc.name}: {param.name}"


def test_the_api_docs_list_the_error_texts_and_the_rate_limit_answer(client, db):
    html = get(client, "/api-docs/")
    for text in (
        "Invalid API key",
        "Incorrect request",
        "Incorrect service ID",
        "Not enough funds on balance",
        "Incorrect order ID",
        "Refill not found",
    ):
        assert f"<code>{text}</code>" in html
    assert "Too many requests, retry in 12 s (rule api.rate)" in html
    assert "Retry-After" in html


def shape(value: object) -> object:
    """Keys and value types, recursively: what clients parse."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return type(value).__name__


@pytest.fixture
def api_world(api_customer):
    """A fresh customer with the objects the examples refer to, and the ids to use."""
    user, key = api_customer
    service = make_service()
    done = complete_order(make_order(user, service), start_count=3572)
    waiting = make_order(user, service)
    refilled = complete_order(make_order(user, service))
    refill = request_refill(user, refilled.pk)
    values = {
        "service": service.pk,
        "order": done.pk,
        "order2": waiting.pk,
        "refill": refill.pk,
        "missing": 10**9,
    }
    return key, values


ALL_EXAMPLES = [
    pytest.param(example, id=f"{doc.action}-{i}")
    for doc in docs.ACTION_DOCS
    for i, example in enumerate(doc.examples)
] + [pytest.param(example, id=f"error-{i}") for i, example in enumerate(docs.ERROR_EXAMPLES)]


@pytest.mark.parametrize("example", ALL_EXAMPLES)
def test_each_documented_example_answers_with_the_documented_shape(api, api_world, example):
    key, values = api_world
    params = example.request_for(values)
    action = params.pop("action")

    answer = api(example.key or key, action, **params)

    documented = example.response_for(values)
    assert shape(answer) == shape(documented)
    if example.exact:
        assert answer == documented


def test_the_documented_rate_limit_answer_is_what_the_api_sends(live_server, http, api_customer):
    user, key = api_customer
    limit_api(user, 1, reason="test")
    url = f"{live_server.url}/api/v2"
    http.post(url, data={"key": key, "action": "balance"})

    response = http.post(url, data={"key": key, "action": "balance"})

    pattern = re.escape(docs.rate_limit_answer(seconds=12)["error"]).replace("12", r"\d+")
    assert re.fullmatch(pattern, response.json()["error"])
    assert int(response.headers["Retry-After"]) > 0


def test_the_favicon_is_served(client, db):
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert b"<svg" in b"".join(
        response.streaming_content if response.streaming else [response.content]
    )
