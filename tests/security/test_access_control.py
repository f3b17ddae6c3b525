"""Access control (issue 7): every object id in every customer URL and API action, tried
as another customer and as anonymous → no read, no write.

The URLs are not listed by hand: they are read from the URL resolver, so a new page with
an id in its path is covered the day it is added. Each ``<int:…>`` path parameter under
``web:`` is mapped by its name to a kind of object (``ID_KINDS``); a name with no mapping
fails the suite, asking for one. For a stranger's id a page must answer exactly as for an
id that does not exist (404, or 405 where the method is wrong either way), show nothing of
the stranger's, and write nothing anywhere in the database. Staff pages and the Django
admin: ``test_staff_access.py`` and ``test_admin_access.py``.
"""

import re

import pytest

from smmpanel.api.actions import ACTIONS
from smmpanel.configuration.services import save_settings
from smmpanel.support.models import TicketKind
from tests.factories import make_key
from tests.security.access import (
    API_ID_PARAMS,
    HOSTILE_FORM,
    ID_KINDS,
    MARK,
    Victim,
    assert_unchanged,
    database_state,
    missing_id,
    web_id_routes,
)
from tests.security.url_patterns import Route, routes

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # enough of one for /logo

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
    save_settings({}, logo=(PNG, "image/png"))  # /logo answers 404 until a logo is set
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
