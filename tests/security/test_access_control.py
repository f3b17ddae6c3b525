"""Access control (issue 7): every object id in every customer URL and API action, tried
as another customer and as anonymous → no read, no write.

The URLs are not listed by hand: they are read from the URL resolver, so a new page with
an id in its path is covered the day it is added. Each ``<int:…>`` path parameter under
``web:`` is mapped by its name to a kind of object (``ID_KINDS``); a name with no mapping
fails the suite, asking for one. For a stranger's id a page must answer exactly as for an
id that does not exist (404, or 405 where the method is wrong either way), show nothing of
the stranger's, and write nothing anywhere in the database. Staff URLs and the Django
admin's object URLs (change, delete, history… of every registered model) refuse customers
and anonymous visitors alike, given real objects' ids: nothing shown, nothing written.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.test import Client
from django.utils.timezone import now

from smmpanel.accounts.models import User
from smmpanel.accounts.services import issue_api_key
from smmpanel.api.actions import ACTIONS
from smmpanel.billing.money import to_micros
from smmpanel.billing.services import request_deposit
from smmpanel.orders.models import Order, Refill
from smmpanel.orders.services import complete_order, request_refill
from smmpanel.policy import engine, rulebook
from smmpanel.staff.reports import REPORTS
from smmpanel.support.models import Ticket, TicketKind
from smmpanel.support.services import open_ticket, reply
from tests.factories import make_key, make_order, make_service, make_staff, make_user
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
# Rows only migrations write, and slow to serialize at every request: the permission list.
STATIC_MODELS = {"auth.Permission"}
NOISE_FIELDS = {"accounts.ApiKey": {"last_used_at", "last_used_ip"}}
# Apps outside ``smmpanel`` whose rows count too: allauth's, Django's users and groups, and
# the admin's log (every change the admin makes is logged there).
AUTH_APPS = ("mfa", "account", "auth", "admin")
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
    """Every row of every panel model (and the auth tables, the admin's log), serialized."""
    from django.apps import apps

    state = {}
    for model in apps.get_models():
        meta = model._meta
        if meta.label in NOISE_MODELS | STATIC_MODELS or meta.proxy:
            continue
        if not (model.__module__.startswith("smmpanel.") or meta.app_label in AUTH_APPS):
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

# A staff URL's ``<int:…>`` parameter → the kind of object it names (a key of
# ``BackOffice.ids``); ``<int:pk>`` names a different kind on each page, so by the route's
# name (``KIND_SLUG``: the kind the path's ``kind`` names, as in ``lift/<kind>/<pk>/``).
KIND_SLUG = "<kind>"
STAFF_ID_KINDS = {
    "order_id": "order",
    "user_id": "user",
    "refill_id": "refill",
    "ticket_id": "ticket",
}
STAFF_PK_KINDS = {
    "lift": KIND_SLUG,
    "user-lift": KIND_SLUG,
    "deny-remove": "deny-entry",
    "canned-reply-remove": "canned-reply",
    "deposit-action": "deposit",
    "service-edit": "service",
    "service-toggle": "service",
    "service-move": "service",
    "service-routes": "service",
    "route-edit": "service-route",
    "route-remove": "service-route",
    "category-edit": "category",
    "category-move": "category",
    "provider-edit": "provider",
    "provider-import": "provider",
    "provider-action": "provider",
}
# The words a staff URL's other parameters take: every verb, kind and direction some staff
# page acts on (each page is tried with all of them), a report, a rule.
STAFF_WORDS = {
    "verb": [
        "approve", "reject", "cancel", "partial", "resend", "completed", "rejected",
        "restrict", "review", "limit-api", "adjust", "rate", "confirm",
        "refresh-balance", "sync-services",
    ],
    "kind": ["restriction", "review", "api-limit", "api-key", "rate"],
    "direction": ["up", "down"],
    "slug": sorted(REPORTS),
    "code": [rulebook.RULES[0].code],
}  # fmt: skip
# What the staff forms ask for besides ``HOSTILE_FORM``'s fields, each with a valid value.
STAFF_FORM = HOSTILE_FORM | {
    "level": "login",
    "per_minute": "0",
    "remains": "1",
    "note": "stolen",
    "direction": "add",
    "kind": "discount",
    "value": "50",
    "outcome": "allow",
    "thresholds": "{}",
    "message_en": "stolen",
    "message_uk": "stolen",
    "title": "stolen",
}


@dataclass
class BackOffice:
    """The victim's things and one of everything staff pages and the admin act on."""

    ids: dict[str, list[int]]
    admin_objects: dict[str, object]  # a registered model's label → one of its rows
    superuser: User  # reads the admin's forms, to send them back as an attacker


@pytest.fixture
def back_office(victim):
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from django.contrib.auth.models import Group

    from smmpanel.accounts.models import ApiKey
    from smmpanel.policy import services as policy
    from smmpanel.providers.models import RefillSubmission, Submission
    from smmpanel.providers.services import add_provider, add_route
    from smmpanel.support.services import add_canned_reply

    owner = make_staff(User.StaffRole.OWNER)
    user = victim.user
    service = make_service(name=f"Service {MARK}")
    provider = add_provider(
        f"Provider {MARK}", "http://127.0.0.1:9/api/v2", f"key-{MARK}", allow_private=True
    )
    route = add_route(service, provider, f"remote-{MARK}", actor=owner, cost_micros=to_micros("1"))
    rate = policy.staff_set_custom_rate(
        user, service, actor=owner, reason="own price", rate_micros=to_micros("0.5")
    )
    refill = Refill.objects.get(pk=victim.ids["refill"][0])
    submission = Submission.objects.filter(order__user=user).order_by("pk").first()
    Submission.objects.filter(pk=submission.pk).update(
        provider=provider, provider_order_id=f"remote-{MARK}"
    )
    ids = victim.ids | {
        "user": [user.pk],
        "restriction": [policy.restrict(user, "ordering", reason="checking", actor=owner).pk],
        "api-limit": [policy.limit_api(user, 10, reason="checking", actor=owner).pk],
        "review": [policy.open_balance_review(user, reason="checking", actor=owner).pk],
        "api-key": victim.ids["api_key"],
        "rate": [rate.pk],
        "deny-entry": [
            policy.add_deny_entry("keyword", f"deny-{MARK}", actor=owner, reason="spam").pk
        ],
        "canned-reply": [add_canned_reply(f"Canned {MARK}", f"Text {MARK}").pk],
        "service": [service.pk],
        "category": [service.category_id],
        "service-route": [route.pk],
        "provider": [provider.pk],
    }
    admin_objects = {
        "auth.Group": Group.objects.create(name=f"Group {MARK}"),
        "account.EmailAddress": EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )[0],
        # Used once: the admin's form requires ``last_used_at``.
        "mfa.Authenticator": Authenticator.objects.create(
            user=user, type=Authenticator.Type.TOTP, data={"secret": MARK}, last_used_at=now()
        ),
        "accounts.User": user,
        "accounts.ApiKey": ApiKey.objects.get(pk=victim.ids["api_key"][0]),
        "providers.Provider": provider,
        "providers.ServiceRoute": route,
        "providers.Submission": submission,
        "providers.RefillSubmission": RefillSubmission.objects.create(
            refill=refill, provider=provider, next_attempt_at=refill.created_at
        ),
        "support.CannedReply": add_canned_reply(f"Answer {MARK}", f"Answer text {MARK}"),
    }
    superuser = make_user(role=User.Role.STAFF)
    User.objects.filter(pk=superuser.pk).update(is_superuser=True)
    return BackOffice(ids, admin_objects, superuser)


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
    for method in ("get", "post"):
        before = database_state()
        response = getattr(client, method)(url, STAFF_FORM if method == "post" else None)
        assert_unchanged(before, f"{method.upper()} {url} by {who}")
        assert response.status_code in (302, 403, 404, 405), f"{method.upper()} {url}"
        if response.status_code == 302:
            assert "login" in response["Location"], url
        assert MARK not in response.content.decode(errors="replace"), url


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


# -- the Django admin -----------------------------------------------------------------

ADMIN_SHORTCUT = "view_on_site"  # admin/r/<content_type_id>/<object_id>/: any model's row
NEW_PASSWORD = "Stolen-Pass-98765"
# Besides each change form's own fields (read from the page as a superuser sees it): the
# delete confirmation and the password form, so any admin view has what it needs to write.
ADMIN_FORM = HOSTILE_FORM | {
    "post": "yes",
    "password1": NEW_PASSWORD,
    "password2": NEW_PASSWORD,
    "usable_password": "true",
}


def admin_id_routes() -> list[Route]:
    """Every admin URL with a path parameter: an object's change, delete, history,
    password pages… of each registered model."""
    return [r for r in routes() if r.namespace == "admin" and r.params()]


def admin_model_of(route: Route) -> str | None:
    """The label of the registered model whose URLs ``route`` is one of."""
    for model in admin.site._registry:
        if route.route.startswith(f"admin/{model._meta.app_label}/{model._meta.model_name}/"):
            return model._meta.label
    return None


class _FormFields(HTMLParser):
    """What a browser sends from the admin's change form (``<form id="…_form">``)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._in_form = False
        self._textarea: str | None = None
        self._select: dict | None = None

    def _add(self, name: str, value: str):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._in_form = (a.get("id") or "").endswith("_form")
        elif not self._in_form or "disabled" in a:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("submit", "button", "reset", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._add(a["name"], a.get("value") or ("on" if kind == "checkbox" else ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._add(self._textarea, "")
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "first": None, "chosen": False}
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in a:
                self._select["chosen"] = True
                self._add(self._select["name"], value)

    def handle_data(self, data):
        if self._textarea is not None:
            self.data[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "textarea":
            if self._textarea is not None:  # the newline after <textarea> is not the value's
                self.data[self._textarea][-1] = self.data[self._textarea][-1].removeprefix("\n")
            self._textarea = None
        elif tag == "select" and self._select is not None:
            if not self._select["chosen"] and self._select["first"] is not None:
                self._add(self._select["name"], self._select["first"])
            self._select = None


def admin_change_form(obj, superuser) -> dict[str, list[str]]:
    """The object's admin change form as a superuser's browser would send it back: a
    valid change (at least a new line in the admin's log) if the sender may make it."""
    browser = Client()
    browser.force_login(superuser)
    opts = obj._meta
    page = browser.get(f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/change/")
    assert page.status_code == 200, f"a superuser cannot open {opts.label} {obj.pk}"
    parser = _FormFields()
    parser.feed(page.content.decode())
    assert parser.data, f"no change form on the admin page of {opts.label}"
    return parser.data


def admin_urls(route: Route, office: BackOffice) -> list[tuple[str, object]]:
    """``route``'s URL for the real object(s) it can name, with the object."""
    if route.name == ADMIN_SHORTCUT:
        return [
            (route.url(content_type_id=ContentType.objects.get_for_model(o).pk, object_id=o.pk), o)
            for o in office.admin_objects.values()
        ]
    obj = office.admin_objects[admin_model_of(route)]
    return [(route.url(**{name: obj.pk for _, name in route.params()}), obj)]


def traces(obj) -> set[str]:
    """What of the object a page that showed it would contain: the mark, and each of its
    text values long enough not to turn up by chance (an email, a hash, a name)."""
    fields = obj._meta.concrete_fields
    texts = {
        str(getattr(obj, f.attname)) for f in fields if isinstance(getattr(obj, f.attname), str)
    }
    return {MARK} | {t for t in texts if len(t) >= 8}


def test_every_admin_url_with_an_id_belongs_to_a_registered_model():
    unmapped = [
        r.route for r in admin_id_routes() if r.name != ADMIN_SHORTCUT and not admin_model_of(r)
    ]
    assert not unmapped, f"admin URLs naming no registered model: {unmapped}"
    kinds = {r.route.rsplit(">/", 1)[-1] for r in admin_id_routes()}
    assert {"change/", "delete/", "history/"} <= kinds


def test_the_back_office_has_a_row_of_every_model_the_admin_shows(back_office):
    registered = {model._meta.label for model in admin.site._registry}
    missing = sorted(registered - set(back_office.admin_objects))
    assert not missing, f"add a row of these models to back_office.admin_objects: {missing}"


@pytest.mark.parametrize(
    "route", [r for r in admin_id_routes() if r.route.endswith("/change/")], ids=lambda r: r.name
)
def test_the_admin_change_form_sent_below_is_a_write_when_a_superuser_sends_it(
    client, back_office, route
):
    """The control for the two tests after it: their POST is no empty gesture."""
    ((url, obj),) = admin_urls(route, back_office)
    form = admin_change_form(obj, back_office.superuser)
    client.force_login(back_office.superuser)
    before = database_state()

    response = client.post(url, {**ADMIN_FORM, **form})

    assert response.status_code == 302, f"{url}: {response.content.decode()[:2000]}"
    assert database_state() != before


def _refuses_an_admin_page(client, route: Route, office: BackOffice, who: str):
    for url, obj in admin_urls(route, office):
        hostile = ADMIN_FORM | admin_change_form(obj, office.superuser)
        seen = traces(obj)
        for method in ("get", "post"):
            before = database_state()
            response = getattr(client, method)(url, hostile if method == "post" else None)
            assert_unchanged(before, f"{method.upper()} {url} by {who}")
            assert response.status_code in (302, 403, 404, 405), f"{method.upper()} {url}"
            if response.status_code == 302:
                assert response["Location"].startswith("/admin/login/"), url
            body = response.content.decode(errors="replace")
            assert not [t for t in seen if t in body], f"{method.upper()} {url} shows the object"


@pytest.mark.parametrize("route", admin_id_routes(), ids=lambda r: r.name or r.route)
def test_an_anonymous_visitor_never_opens_an_object_in_the_admin(client, back_office, route):
    _refuses_an_admin_page(client, route, back_office, "an anonymous visitor")


@pytest.mark.parametrize("route", admin_id_routes(), ids=lambda r: r.name or r.route)
def test_a_customer_never_opens_an_object_in_the_admin(client, back_office, attacker, route):
    client.force_login(attacker)
    _refuses_an_admin_page(client, route, back_office, "a customer")


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
