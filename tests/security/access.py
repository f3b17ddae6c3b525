"""What the access-control suites share (``test_access_control``, ``test_staff_access``,
``test_admin_access``): the kinds of object an id in a URL names, the hostile form, the
whole database's state to prove nothing was written, and the objects staff pages and
the admin act on. The fixtures building them are in ``conftest.py``."""

from dataclasses import dataclass

from django.core import serializers

from smmpanel.accounts.models import User
from smmpanel.orders.models import Order, Refill
from smmpanel.policy import rulebook
from smmpanel.staff.reports import REPORTS
from smmpanel.support.models import Ticket
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


# -- staff pages ----------------------------------------------------------------------------

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
    "announcement-edit": "announcement",
    "page-edit": "page",
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
    "service-change-action": "service-change",
}
# The words a staff URL's other parameters take: every verb, kind and direction some staff
# page acts on (each page is tried with all of them), a report, a rule.
STAFF_WORDS = {
    "verb": [
        "approve",
        "reject",
        "cancel",
        "partial",
        "resend",
        "completed",
        "rejected",
        "restrict",
        "review",
        "limit-api",
        "adjust",
        "rate",
        "confirm",
        "refresh-balance",
        "sync-services",
        "accept",
        "start-count",
        "complete",
        "cancel-upstream",
        "refill-upstream",
    ],
    "kind": ["restriction", "review", "api-limit", "api-key", "rate"],
    "direction": ["up", "down"],
    "slug": sorted(REPORTS),
    "code": [rulebook.RULES[0].code],
    "gateway": ["manual", "stripe"],
}
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


def assert_refused(client, url: str, form: dict, who: str, *, login: str, hidden) -> None:
    """GET and POST (with ``form``) of ``url`` by ``who``: refused (a redirect to a page
    whose address holds ``login``, 403, 404 or 405), nothing written anywhere, and none
    of the ``hidden`` texts in the answer."""
    for method in ("get", "post"):
        before = database_state()
        response = getattr(client, method)(url, form if method == "post" else None)
        what = f"{method.upper()} {url} by {who}"
        assert_unchanged(before, what)
        assert response.status_code in (302, 403, 404, 405), what
        if response.status_code == 302:
            assert login in response["Location"], what
        body = response.content.decode(errors="replace")
        assert not [text for text in hidden if text in body], f"{what} shows it"
