"""Access control (issue 7): every object id in every customer URL and API action, tried
as another customer and as anonymous → no read, no write.

The URLs are not listed by hand: they are read from the URL resolver, so a new page with
an id in its path is covered the day it is added. Each ``<int:…>`` path parameter under
``web:`` is mapped by its name to a kind of object (``ID_KINDS``); a name with no mapping
fails the suite, asking for one. For a stranger's id a page must answer exactly as for an
id that does not exist (404, or 405 where the method is wrong either way), show nothing of
the stranger's, and write nothing anywhere in the database. Staff URLs refuse customers.
"""

import re
from dataclasses import dataclass

import pytest
from django.core import serializers

from smmpanel.accounts.services import issue_api_key
from smmpanel.api.actions import ACTIONS
from smmpanel.billing.services import request_deposit
from smmpanel.orders.models import Order, Refill
from smmpanel.orders.services import complete_order, request_refill
from smmpanel.policy import engine, rulebook
from smmpanel.support.models import Ticket, TicketKind
from smmpanel.support.services import open_ticket, reply
from tests.factories import make_key, make_order, make_service, make_user
from tests.security.url_patterns import Route, routes

# A path parameter's name → the kind of object it names (a key of ``Victim.ids``).
ID_KINDS = {
    "order_id": "order",
    "refill_id": "refill",
    "ticket_id": "ticket",
    "key_id": "api_key",
    "api_key_id": "api_key",
    "deposit_id": "deposit",
}
# Parameters the API reads ids from, and the kind each names.
API_ID_PARAMS = {"order": "order", "orders": "order", "refill": "refill", "refills": "refill"}
# Fields a hostile POST sends along, so that a view which forgets the owner check has
# everything it needs to write.
HOSTILE_FORM = {
    "body": "I am not the owner",
    "name": "stolen",
    "reason": "stolen",
    "amount": "1",
    "confirm": "1",
    "next": "/",
}
# What any request changes and proves nothing: rate limit buckets, where and when an API
# key was last used (the attacker's own key, when it calls the API).
NOISE_MODELS = {"policy.RateBucket", "policy.KeySighting"}
NOISE_FIELDS = {"accounts.ApiKey": {"last_used_at", "last_used_ip"}}
MARK = "Vq7Zk"  # in the stranger's link, ticket title and key name: must never be shown


@dataclass
class Victim:
    user: object
    key: str
    ids: dict[str, list[int]]


@pytest.fixture
def victim(db):
    """A customer with one of everything that has an id: orders (finished and pending),
    a refill, a ticket with a reply, an API key and a deposit request."""
    service = make_service()
    user = make_user("100")
    done = complete_order(make_order(user, service, f"https://www.instagram.com/p/{MARK}1/"))
    pending = make_order(user, service, f"https://www.instagram.com/p/{MARK}2/")
    refill = request_refill(user, done.pk)
    ticket = open_ticket(user, TicketKind.ORDER, f"Ticket {MARK}", f"Body {MARK}", [done.pk])
    reply(ticket, user, f"Reply {MARK}")
    issued = issue_api_key(user, f"key {MARK}")
    deposit = request_deposit(user, "manual", "10")
    for point in {p for spec in rulebook.RULES for p in spec.points}:
        engine.rules_for(point)  # seeded on first use: not a write by the requests below
    return Victim(
        user,
        issued.plaintext,
        {
            "order": [done.pk, pending.pk],
            "refill": [refill.pk],
            "ticket": [ticket.pk],
            "api_key": [issued.api_key.pk],
            "deposit": [deposit.pk],
        },
    )


@pytest.fixture
def attacker(db, victim):
    """Another customer with things of their own (so no view can mistake "none")."""
    user = make_user("100")
    service = make_service()
    order = complete_order(make_order(user, service))
    open_ticket(user, TicketKind.ORDER, "My own ticket", "mine", [order.pk])
    return user


def missing_id() -> int:
    """An id no object of any kind has."""
    highest = max(
        [0] + [m.objects.order_by("-pk").values_list("pk", flat=True).first() or 0 for m in MODELS]
    )
    return highest + 10_000


MODELS = (Order, Refill, Ticket)


# -- the URL patterns -------------------------------------------------------------------


def web_id_routes() -> list[Route]:
    return [r for r in routes() if r.namespace == "web" and any(t == "int" for t, _ in r.params())]


def staff_routes() -> list[Route]:
    return [r for r in routes() if r.namespace.split(":")[0] == "staff"]


# -- nothing written ----------------------------------------------------------------------


def database_state() -> dict[str, str]:
    """Every row of every panel model (and the auth tables), serialized."""
    from django.apps import apps

    state = {}
    for model in apps.get_models():
        meta = model._meta
        if meta.label in NOISE_MODELS or meta.proxy:
            continue
        if not (model.__module__.startswith("smmpanel.") or meta.app_label in ("mfa", "account")):
            continue
        noise = NOISE_FIELDS.get(meta.label, set())
        fields = [f.name for f in meta.concrete_fields if f.name not in noise]
        rows = model._default_manager.order_by("pk")
        state[meta.label] = serializers.serialize("json", rows, fields=fields)
    return state


def assert_unchanged(before: dict[str, str], what: str):
    after = database_state()
    changed = [label for label in before if before[label] != after.get(label)]
    assert not changed, f"{what} changed {changed}"


# -- web pages ------------------------------------------------------------------------------


def test_the_resolver_finds_the_customer_pages_with_ids():
    """The enumeration below is only as good as this list: it must see today's pages."""
    names = {r.name for r in web_id_routes()}
    assert {"order-detail", "order-refill", "order-cancel", "ticket-detail", "ticket-close"} <= (
        names
    )
    assert {"api-key-revoke"} <= names


def test_every_id_in_a_customer_url_maps_to_a_kind_of_object():
    unmapped = sorted(
        {
            f"{r.route} <{n}>"
            for r in web_id_routes()
            for t, n in r.params()
            if t == "int" and n not in ID_KINDS
        }
    )
    assert not unmapped, f"add these path parameters to ID_KINDS: {unmapped}"


def _values(route: Route, victim: Victim) -> list[dict]:
    """Path values naming each of the victim's objects of the right kind in turn."""
    combos: list[dict] = [{}]
    for kind, name in route.params():
        if kind == "int":
            options = victim.ids[ID_KINDS[name]]
        elif kind == "slug":
            options = ["x"]
        else:
            options = ["x"]
        combos = [c | {name: o} for c in combos for o in options]
    return combos


def _missing(route: Route, values: dict) -> dict:
    return {n: (missing_id() if t == "int" else values[n]) for t, n in route.params()}


@pytest.mark.parametrize("route", web_id_routes(), ids=lambda r: r.name or r.route)
def test_a_stranger_s_ids_in_a_customer_url_answer_as_missing_ones(client, victim, attacker, route):
    client.force_login(attacker)
    for values in _values(route, victim):
        url, absent = route.url(**values), route.url(**_missing(route, values))
        for method in ("get", "post"):
            before = database_state()
            response = getattr(client, method)(url, HOSTILE_FORM if method == "post" else None)
            assert_unchanged(before, f"{method.upper()} {url} by another customer")
            expected = getattr(client, method)(absent, HOSTILE_FORM if method == "post" else None)
            assert response.status_code == expected.status_code, f"{method.upper()} {url}"
            assert response.status_code in (404, 405), f"{method.upper()} {url}"
            assert MARK not in response.content.decode(errors="replace")


@pytest.mark.parametrize("route", web_id_routes(), ids=lambda r: r.name or r.route)
def test_anonymous_visitors_are_sent_to_sign_in_for_any_id(client, victim, route):
    for values in _values(route, victim):
        url = route.url(**values)
        for method in ("get", "post"):
            before = database_state()
            response = getattr(client, method)(url, HOSTILE_FORM if method == "post" else None)
            assert_unchanged(before, f"{method.upper()} {url} by an anonymous visitor")
            assert response.status_code in (302, 404, 405), f"{method.upper()} {url}"
            if response.status_code == 302:
                assert response["Location"].startswith("/accounts/login/"), url
            assert MARK not in response.content.decode(errors="replace")


def test_no_customer_page_lists_a_stranger_s_things(client, victim, attacker):
    """The pages without ids (lists, forms, settings) show only the user's own things."""
    client.force_login(attacker)
    pages = [r for r in routes() if r.namespace == "web" and not r.params()]
    assert len(pages) > 10
    for route in pages:
        response = client.get(route.url())
        assert response.status_code < 400 or response.status_code == 405, route.route
        assert MARK not in response.content.decode(errors="replace"), route.route


def test_ids_in_query_strings_and_forms_are_the_user_s_own_only(client, victim, attacker):
    """Pages that take ids as parameters: the live order rows, a new ticket about an order."""
    client.force_login(attacker)
    foreign = victim.ids["order"]
    before = database_state()

    live = client.get("/orders/live/", {"ids": ",".join(map(str, foreign))})
    preselected = client.get("/tickets/new/", {"order": foreign[0]})

    opened = client.post(
        "/tickets/new/",
        {"kind": TicketKind.ORDER, "title": "about yours", "body": "hi", "orders": foreign},
    )

    assert_unchanged(before, "pages given a stranger's order ids")
    for response in (live, preselected, opened):
        assert MARK not in response.content.decode()
    assert f'value="{foreign[0]}"' not in preselected.content.decode()
    assert opened.status_code == 200  # the form again, asking for one's own order


# -- staff pages ------------------------------------------------------------------------


@pytest.mark.parametrize("route", staff_routes(), ids=lambda r: r.name or r.route)
def test_a_customer_never_opens_a_staff_page(client, victim, attacker, route):
    client.force_login(attacker)
    values = {
        n: (victim.ids["order"][0] if t == "int" else "approve" if t == "slug" else "x")
        for t, n in route.params()
    }
    url = route.url(**values)
    for method in ("get", "post"):
        before = database_state()
        response = getattr(client, method)(url, HOSTILE_FORM if method == "post" else None)
        assert_unchanged(before, f"{method.upper()} {url} by a customer")
        assert response.status_code in (302, 403, 404, 405), f"{method.upper()} {url}"
        if response.status_code == 302:
            assert "login" in response["Location"], url


def test_the_resolver_finds_the_staff_pages():
    assert len(staff_routes()) >= 10


# -- API v2 ---------------------------------------------------------------------------------


def _as_if(answer, renames: dict[str, str]):
    """``answer`` (for missing ids) with each missing id written as the stranger's."""
    text = repr(answer)
    for missing, stranger in renames.items():
        text = re.sub(rf"(?<!\d){missing}(?!\d)", stranger, text)
    return text


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("param", sorted(API_ID_PARAMS))
def test_api_actions_treat_a_stranger_s_ids_as_missing(client, victim, attacker, action, param):
    key = make_key(attacker)
    ids = [str(i) for i in victim.ids[API_ID_PARAMS[param]]]
    absent = [str(missing_id() + 10**9 + n) for n in range(len(ids))]  # distinct, unmistakable
    if not param.endswith("s"):
        ids, absent = ids[:1], absent[:1]

    before = database_state()
    answer = client.post("/api/v2", {"key": key, "action": action, param: ",".join(ids)}).json()
    assert_unchanged(before, f"API {action} {param}={ids} by another customer")
    expected = client.post("/api/v2", {"key": key, "action": action, param: ",".join(absent)})

    assert repr(answer) == _as_if(expected.json(), dict(zip(absent, ids, strict=True)))
    assert MARK not in repr(answer)
    if action in ("status", "refill") and param == "order":
        assert answer == {"error": "Incorrect order ID"}
    if action == "cancel" and param == "order":
        assert answer == [{"order": int(ids[0]), "cancel": {"error": "Incorrect order ID"}}]
    if action == "refill_status" and param == "refill":
        assert answer == {"error": "Refill not found"}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_api_without_a_valid_key_reads_and_writes_nothing(client, victim, action):
    for key in (None, "", victim.key[:-1] + ("A" if victim.key[-1] != "A" else "B")):
        data = {
            "action": action,
            "order": victim.ids["order"][0],
            "refill": victim.ids["refill"][0],
        }
        if key is not None:
            data["key"] = key
        before = database_state()
        answer = client.post("/api/v2", data).json()
        assert_unchanged(before, f"API {action} without a valid key")
        assert answer == {"error": "Invalid API key"}


def test_a_revoked_key_is_anonymous(client, victim):
    from smmpanel.accounts.models import ApiKey
    from smmpanel.accounts.services import revoke_api_key

    revoke_api_key(ApiKey.objects.get(pk=victim.ids["api_key"][0]))
    before = database_state()
    answer = client.post("/api/v2", {"key": victim.key, "action": "balance"}).json()
    assert_unchanged(before, "API with a revoked key")
    assert answer == {"error": "Invalid API key"}
