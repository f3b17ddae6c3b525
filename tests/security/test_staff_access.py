"""Access control (issue 7) of the staff pages: every staff URL, with real ids of each
kind and every word its path takes, refuses customers and anonymous visitors alike:
nothing of the victim's shown, nothing written. The URLs come from the resolver."""

import pytest
from django.urls import reverse

from tests.factories import make_staff
from tests.security.access import (
    HOSTILE_FORM,
    KIND_SLUG,
    MARK,
    STAFF_FORM,
    STAFF_ID_KINDS,
    STAFF_PK_KINDS,
    STAFF_WORDS,
    BackOffice,
    assert_refused,
    staff_routes,
)
from tests.security.url_patterns import Route


def _staff_kind(route: Route, name: str, values: dict) -> str:
    if name == "pk":
        kind = STAFF_PK_KINDS[route.name]
        return values["kind"] if kind == KIND_SLUG else kind
    return STAFF_ID_KINDS[name]


def _staff_urls(route: Route, office: BackOffice) -> list[str]:
    """The route's URL for every combination of its words, each naming real objects."""
    combos: list[dict] = [{}]
    for kind, name in route.params():  # the words first: a ``pk`` may depend on ``kind``
        if kind != "int":
            combos = [c | {name: word} for c in combos for word in STAFF_WORDS[name]]
    for kind, name in route.params():
        if kind == "int":
            combos = [
                c | {name: pk} for c in combos for pk in office.ids[_staff_kind(route, name, c)]
            ]
    return [route.url(**values) for values in combos]


def test_every_staff_url_parameter_names_a_kind_of_object_or_its_words():
    unmapped = sorted(
        {
            f"{r.route} <{n}>"
            for r in staff_routes()
            for t, n in r.params()
            if (t != "int" and n not in STAFF_WORDS)
            or (t == "int" and n != "pk" and n not in STAFF_ID_KINDS)
            or (t == "int" and n == "pk" and r.name not in STAFF_PK_KINDS)
        }
    )
    assert not unmapped, f"add to STAFF_ID_KINDS, STAFF_PK_KINDS or STAFF_WORDS: {unmapped}"


def test_each_staff_url_tried_is_a_url_of_its_own_page(back_office):
    """The words and ids put into each staff URL below make a URL of that very page. The
    ids are the back office's real objects of the kind the page acts on: an unknown id
    proves nothing, the page would answer 404 with or without its access check."""
    from django.urls import Resolver404, resolve

    for route in staff_routes():
        for url in _staff_urls(route, back_office):
            try:
                match = resolve(url)
            except Resolver404:
                pytest.fail(f"{url} does not resolve")
            assert match.url_name == route.name, url


def _refuses_a_staff_page(client, url: str, who: str):
    assert_refused(client, url, STAFF_FORM, who, login="login", hidden=[MARK])


@pytest.mark.parametrize("route", staff_routes(), ids=lambda r: r.name or r.route)
def test_a_customer_never_opens_a_staff_page(client, back_office, attacker, route):
    client.force_login(attacker)
    for url in _staff_urls(route, back_office):
        _refuses_a_staff_page(client, url, "a customer")


@pytest.mark.parametrize("route", staff_routes(), ids=lambda r: r.name or r.route)
def test_an_anonymous_visitor_never_opens_a_staff_page(client, back_office, route):
    for url in _staff_urls(route, back_office):
        _refuses_a_staff_page(client, url, "an anonymous visitor")


def test_the_resolver_finds_the_staff_pages():
    assert len(staff_routes()) >= 10
    assert len([r for r in staff_routes() if any(t == "int" for t, _ in r.params())]) >= 20


@pytest.mark.parametrize("role", ["support", "moderator"])
def test_only_the_owner_opens_the_panel_settings(client, back_office, role):
    client.force_login(make_staff(role))
    assert client.get(reverse("staff:settings")).status_code == 403
    assert client.post(reverse("staff:settings"), HOSTILE_FORM).status_code == 403
