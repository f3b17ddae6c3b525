"""API v2 documentation as data, next to the API it describes.

The documentation page is generated from this table together with the tables the API
itself runs on (``api.actions.ACTIONS``, ``catalog.service_types.SERVICE_TYPES``, the
``api.rate`` rule), and ``tests/web/test_public_pages.py`` sends every example request
below to the real ``/api/v2`` and checks that the answer has the documented shape. A
change of the API that is not reflected here therefore fails a test.

Examples name ids through placeholders: ``Id("order")`` stands for an integer id and
``"{order}"`` inside a string for its text, so the page can show sample numbers and the
test can use real ids.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from smmpanel.api.actions import ACTIONS, INCORRECT_ORDER_ID, MAX_IDS, REFILL_NOT_FOUND
from smmpanel.catalog.service_types import SERVICE_TYPES, QuantityFrom, ServiceType
from smmpanel.orders.services import ACTIVE_ORDER_EXISTS, NOT_ENOUGH_FUNDS
from smmpanel.policy.rulebook import BY_CODE

API_PATH = "/api/v2"


@dataclass(frozen=True)
class Id:
    """An integer id in an example, filled from sample values (page) or real ones (test)."""

    name: str


# What the page shows in place of the placeholders.
SAMPLE_VALUES: dict[str, int] = {
    "service": 1,
    "order": 23501,
    "order2": 23502,
    "refill": 701,
    "missing": 99999,
}


def fill(value: object, values: Mapping[str, int]) -> object:
    """``value`` with every placeholder replaced from ``values`` (recursively)."""
    if isinstance(value, Id):
        return int(values[value.name])
    if isinstance(value, str):
        return value.format_map(values) if "{" in value else value
    if isinstance(value, dict):
        return {fill(k, values): fill(v, values) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [fill(v, values) for v in value]
    return value


@dataclass(frozen=True)
class Param:
    name: str
    required: bool
    help: object  # lazy text


@dataclass(frozen=True)
class Example:
    title: object  # lazy text
    request: dict[str, object]  # without ``key``
    response: object
    exact: bool = False  # the answer's text must match too (fixed error texts)
    key: str | None = None  # sent instead of the caller's own key (to show a bad key)

    def request_for(self, values: Mapping[str, int] = SAMPLE_VALUES) -> dict[str, object]:
        return fill(self.request, values)

    def response_for(self, values: Mapping[str, int] = SAMPLE_VALUES) -> object:
        return fill(self.response, values)

    def curl(self, url: str) -> str:
        """The example as a curl command (form POST, the most widely supported encoding)."""
        fields = {"key": self.key or "YOUR_API_KEY", **self.request_for()}
        args = " ".join(f"-d {_shell(f'{k}={v}')}" for k, v in fields.items())
        return f"curl -X POST {url} {args}"

    def response_json(self) -> str:
        return json.dumps(self.response_for(), indent=2, ensure_ascii=False)


@dataclass(frozen=True)
class ActionDoc:
    action: str
    summary: object
    params: tuple[Param, ...]
    examples: tuple[Example, ...] = field(default_factory=tuple)


def _shell(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


_STATUS = {
    "charge": "0.90",
    "start_count": "3572",
    "status": "Completed",
    "remains": "0",
    "currency": "USD",
}
_STATUS_PENDING = _STATUS | {"start_count": "0", "status": "Pending", "remains": "1000"}
_EXAMPLE_LINK = "https://www.instagram.com/p/C0dExAmPlE/"
_IDS_HELP = format_lazy(_("comma-separated ids, at most {n}"), n=MAX_IDS)

ACTION_DOCS: tuple[ActionDoc, ...] = (
    ActionDoc(
        "services",
        _("The active services with their type, category, rate per 1000 and limits."),
        (),
        (
            Example(
                _("List services"),
                {"action": "services"},
                [
                    {
                        "service": Id("service"),
                        "name": "Instagram Likes",
                        "type": "Default",
                        "category": "Likes",
                        "rate": "0.90",
                        "min": "50",
                        "max": "10000",
                        "refill": True,
                        "cancel": True,
                        "dripfeed": False,
                    }
                ],
            ),
        ),
    ),
    ActionDoc(
        "add",
        _(
            "Place an order. Besides the parameters below, each service type takes its own "
            "(see Service types). The charge is taken from the balance at once."
        ),
        (
            Param("service", True, _("service id from the `services` action")),
            Param("link", True, _("public link of the target, in the service's link format")),
            Param("quantity", True, _("how many units (for types that take a quantity)")),
            Param("runs", False, _("drip-feed services: number of runs")),
            Param("interval", False, _("drip-feed services: minutes between runs")),
        ),
        (
            Example(
                _("Order 1000 units"),
                {
                    "action": "add",
                    "service": "{service}",
                    "link": _EXAMPLE_LINK,
                    "quantity": "1000",
                },
                {"order": Id("order")},
            ),
            Example(
                _("A quantity below the service's minimum"),
                {"action": "add", "service": "{service}", "link": _EXAMPLE_LINK, "quantity": "10"},
                {"error": "Quantity less than minimal 50"},
            ),
            Example(
                _("A service that does not exist"),
                {
                    "action": "add",
                    "service": "{missing}",
                    "link": _EXAMPLE_LINK,
                    "quantity": "1000",
                },
                {"error": "Incorrect service ID"},
                exact=True,
            ),
        ),
    ),
    ActionDoc(
        "status",
        _("The status of one order, or of several orders keyed by id."),
        (
            Param("order", False, _("one order id")),
            Param("orders", False, _IDS_HELP),
        ),
        (
            Example(_("One order"), {"action": "status", "order": "{order}"}, _STATUS),
            Example(
                _("Several orders"),
                {"action": "status", "orders": "{order},{order2},{missing}"},
                {
                    "{order}": _STATUS,
                    "{order2}": _STATUS_PENDING,
                    "{missing}": {"error": INCORRECT_ORDER_ID},
                },
            ),
            Example(
                _("An order that is not yours or does not exist"),
                {"action": "status", "order": "{missing}"},
                {"error": INCORRECT_ORDER_ID},
                exact=True,
            ),
        ),
    ),
    ActionDoc(
        "refill",
        _("Ask for a refill of completed orders of services with refill."),
        (
            Param("order", False, _("one order id")),
            Param("orders", False, _IDS_HELP),
        ),
        (
            Example(
                _("One order"), {"action": "refill", "order": "{order}"}, {"refill": "{refill}"}
            ),
            Example(
                _("Several orders"),
                {"action": "refill", "orders": "{order},{missing}"},
                [
                    {"order": Id("order"), "refill": Id("refill")},
                    {"order": Id("missing"), "refill": {"error": INCORRECT_ORDER_ID}},
                ],
            ),
        ),
    ),
    ActionDoc(
        "refill_status",
        _("The status of one refill, or of several refills."),
        (
            Param("refill", False, _("one refill id")),
            Param("refills", False, _IDS_HELP),
        ),
        (
            Example(
                _("One refill"),
                {"action": "refill_status", "refill": "{refill}"},
                {"status": "Pending"},
            ),
            Example(
                _("Several refills"),
                {"action": "refill_status", "refills": "{refill},{missing}"},
                [
                    {"refill": Id("refill"), "status": "Pending"},
                    {"refill": Id("missing"), "status": {"error": REFILL_NOT_FOUND}},
                ],
            ),
        ),
    ),
    ActionDoc(
        "cancel",
        _(
            "Cancel orders of services with cancel. A pending order is canceled and "
            "refunded at once; a running one is asked of the provider."
        ),
        (
            Param("orders", False, _IDS_HELP),
            Param("order", False, _("one order id (the answer is a list too)")),
        ),
        (
            Example(
                _("Several orders"),
                {"action": "cancel", "orders": "{order2},{order}"},
                [
                    {"order": Id("order2"), "cancel": 1},
                    {
                        "order": Id("order"),
                        "cancel": {"error": "This order can no longer be canceled"},
                    },
                ],
            ),
        ),
    ),
    ActionDoc(
        "balance",
        _("The balance and its currency."),
        (),
        (Example(_("Balance"), {"action": "balance"}, {"balance": "100.84", "currency": "USD"}),),
    ),
)

BY_ACTION = {doc.action: doc for doc in ACTION_DOCS}

PARAM_HELP: dict[str, object] = {
    "service": _("service id"),
    "link": _("public link of the target"),
    "quantity": _("how many units"),
    "runs": _("drip-feed: number of runs (quantity is per run)"),
    "interval": _("drip-feed: minutes between runs"),
    "comments": _("one comment per line"),
    "usernames": _("one username per line"),
    "hashtags": _("hashtags, one per line"),
    "hashtag": _("one hashtag"),
    "username": _("a username"),
    "media": _("link of the media whose likers are mentioned"),
    "answer_number": _("number of the poll answer to vote for"),
    "groups": _("groups to invite from, one per line"),
    "keywords": _("search keywords, one per line"),
    "min": _("minimum quantity per new post"),
    "max": _("maximum quantity per new post"),
    "posts": _("number of new posts to serve"),
    "delay": _("minutes to wait after a post appears (0 = none)"),
    "expiry": _("date after which the subscription ends"),
}

_QUANTITY_NOTES = {
    QuantityFrom.PARAM: _("quantity as sent"),
    QuantityFrom.LINES: _("quantity = number of non-empty lines of %(param)s"),
    QuantityFrom.PACKAGE: _("a fixed package: no quantity, the charge is the rate"),
    QuantityFrom.SUBSCRIPTION: _("charged for max × posts"),
}


@dataclass(frozen=True)
class TypeDoc:
    name: str
    required: tuple[Param, ...]
    optional: tuple[Param, ...]
    quantity: str
    description: str


def type_doc(stype: ServiceType) -> TypeDoc:
    """The full parameter list of ``add`` for a service of type ``stype``."""
    required = ["service"]
    if stype.needs_link:
        required.append("link")
    if stype.quantity_from is QuantityFrom.PARAM:
        required.append("quantity")
    required += [p for p in stype.required if p not in required]
    optional = list(stype.optional)
    if stype.quantity_from is QuantityFrom.PARAM:
        optional += ["runs", "interval"]
    note = str(_QUANTITY_NOTES[stype.quantity_from]) % {"param": stype.lines_param or ""}
    return TypeDoc(
        stype.name,
        tuple(Param(p, True, PARAM_HELP.get(p, "")) for p in required),
        tuple(Param(p, False, PARAM_HELP.get(p, "")) for p in optional),
        note,
        stype.description,
    )


def type_docs() -> list[TypeDoc]:
    """One entry per service type of ``SERVICE_TYPES``, in its order."""
    return [type_doc(t) for t in SERVICE_TYPES]


def action_docs() -> list[tuple[str, ActionDoc | None]]:
    """Every action the API answers, in ``ACTIONS`` order, with its documentation."""
    return [(name, BY_ACTION.get(name)) for name in ACTIONS]


def rate_limit_answer(seconds: int = 12) -> dict[str, str]:
    """The answer to a request over the rate limit, as the API words it."""
    rule = BY_CODE["api.rate"]
    return {"error": f"{rule.message_en.format(seconds=seconds)} (rule {rule.code})"}


def rate_limits() -> dict[str, int]:
    """The default limits of the ``api.rate`` rule (staff may tune them)."""
    return dict(BY_CODE["api.rate"].thresholds)


# The error texts clients match verbatim, with when each is answered.
ERRORS: tuple[tuple[str, object], ...] = (
    ("Invalid API key", _("the key is missing, wrong or revoked")),
    ("Incorrect request", _("unknown action, or a body that is not a form or JSON object")),
    ("Incorrect service ID", _("no active service with this id")),
    (NOT_ENOUGH_FUNDS, _("the balance does not cover the charge; nothing is charged")),
    ("Quantity less than minimal N", _("below the service's minimum (N is the minimum)")),
    ("Quantity more than maximum N", _("above the service's maximum (N is the maximum)")),
    (ACTIVE_ORDER_EXISTS, _("the same link already has an active order of this service")),
    (INCORRECT_ORDER_ID, _("the order does not exist or is not yours")),
    (REFILL_NOT_FOUND, _("the refill does not exist or is not yours")),
)

# Requests refused before any action runs, tested verbatim like the examples above.
ERROR_EXAMPLES: tuple[Example, ...] = (
    Example(
        _("A wrong or revoked key"),
        {"action": "balance"},
        {"error": "Invalid API key"},
        exact=True,
        key="not-a-valid-key",
    ),
    Example(
        _("An unknown action"),
        {"action": "no_such_action"},
        {"error": "Incorrect request"},
        exact=True,
    ),
)


@dataclass(frozen=True)
class ShownExample:
    title: object
    curl: str
    response: str


@dataclass(frozen=True)
class ShownAction:
    action: str
    doc: ActionDoc | None
    examples: list[ShownExample]


def _shown(example: Example, url: str) -> ShownExample:
    return ShownExample(example.title, example.curl(url), example.response_json())


def shown_actions(url: str) -> list[ShownAction]:
    """Every action with its examples ready to print (curl command, pretty JSON)."""
    return [
        ShownAction(name, doc, [_shown(e, url) for e in (doc.examples if doc else ())])
        for name, doc in action_docs()
    ]


def shown_errors(url: str) -> list[ShownExample]:
    return [_shown(e, url) for e in ERROR_EXAMPLES]
