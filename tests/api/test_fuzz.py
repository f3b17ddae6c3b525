"""Hostile input on API v2 (issue 7): hypothesis throws random actions, parameters,
values, sizes and encodings at ``/api/v2`` — through Django's test client (fast, many
examples) and over a real HTTP server (fewer).

Each example is a fresh customer (with money and a key) sending a few requests. For every
answer: HTTP 200, ``application/json``, parsable JSON; a top-level ``error`` only on
errors and then alone, with a real message (never the catch-all "Internal error", which
would be a 500 in disguise); and an errored request moved no money and wrote no order,
order event, refill or ledger entry. Whatever the answer, error or not: a stranger's
wallet, ledger, orders and refills are as they were (the stranger has an order to cancel
and one to refill, so a wrongly accepted cancel or refill would show), and the customer's
money moved only as the answer says: a charge for each order it says was placed, a refund
for each order it says was canceled, nothing else. At the end every wallet still equals
its ledger.

``pytest -s`` prints how many requests each run tried; ``REQUESTS`` counts them too.

The long run (``make fuzz``, never in CI) sets ``FUZZ_API_REQUESTS`` and ``FUZZ_SECONDS``:
the test-client fuzz then keeps drawing fresh batches of examples until it has sent that
many requests or the time is up, whichever comes first.
"""

import json
import math
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode as encode_query

import httpx
import pytest
from django.db.models import Q
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from smmpanel.billing.models import LedgerEntry, Wallet
from smmpanel.billing.selectors import balance_of, ledger_mismatches
from smmpanel.orders.models import Order, OrderEvent, Refill
from smmpanel.orders.services import complete_order, request_refill
from tests.conftest import NO_KEEPALIVE
from tests.factories import make_key, make_order, make_service, make_user, post_link

REQUESTS = {"client": 0, "live": 0}
OUTCOMES: dict[str, Counter] = {"client": Counter(), "live": Counter()}
CLIENT_EXAMPLES = 300
LIVE_EXAMPLES = 50
INTERNAL_ERROR = "Internal error, please try again"
MAX_LIVE_QUERY = 4000
# The long run's target and time bound (0: one batch of CLIENT_EXAMPLES, as in CI).
LONG_RUN_REQUESTS = int(os.environ.get("FUZZ_API_REQUESTS") or 0)
LONG_RUN_SECONDS = float(os.environ.get("FUZZ_SECONDS") or 0)

# -- values ----------------------------------------------------------------------------


class Ref:
    """A placeholder resolved when the request is built: this example's key, order…"""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


KEY, OWN_ORDER, SERVICE, LINK = (Ref(n) for n in ("KEY", "OWN_ORDER", "SERVICE", "LINK"))
# The stranger's: an order with a refill open, the refill, a finished order that could be
# refilled and a pending one that could be canceled (by its owner).
OTHERS = [Ref(n) for n in ("OTHER_ORDER", "OTHER_REFILL", "OTHER_FINISHED", "OTHER_PENDING")]
# Services of the types whose text parameters are stored (comments, usernames…).
TYPED_SERVICES = {
    "custom comments": dict(min_quantity=1),
    "mentions with hashtags": {},
    "comment replies": dict(min_quantity=1),
    "subscriptions": {},
    "poll": {},
    "package": {},
}
TYPED = [Ref(f"SERVICE:{kind}") for kind in TYPED_SERVICES]
line = st.text(st.characters(codec="utf-8"), min_size=1, max_size=30)
multiline = st.lists(line, max_size=8).map("\n".join)

ACTIONS = ["services", "add", "status", "refill", "refill_status", "cancel", "balance"]
PARAMS = [
    "service",
    "link",
    "quantity",
    "order",
    "orders",
    "refill",
    "refills",
    "runs",
    "interval",
    "comments",
    "usernames",
    "hashtags",
    "hashtag",
    "username",
    "media",
    "answer_number",
    "groups",
    "keywords",
    "min",
    "max",
    "posts",
    "delay",
    "expiry",
    "key",
    "action",
    "currency",
    "lang",
]
FRAGMENTS = [
    # SQL
    "' OR '1'='1",
    "1; DROP TABLE orders_order; --",
    "1 UNION SELECT password FROM accounts_user",
    "\\' OR 1=1 --",
    "%' --",
    "1) OR (1=1",
    "'; SELECT pg_sleep(5); --",
    # HTML, templates, paths
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg/onload=alert(1)>',
    "{{7*7}}",
    "${7*7}",
    "{% debug %}",
    "../../etc/passwd",
    "%00",
    "%s%s%s%n",
    # numbers in every spelling
    "-1",
    "0",
    "-0",
    "00",
    "1e9",
    "1e308",
    "1e-308",
    "NaN",
    "inf",
    "-Infinity",
    "0x1F",
    "1_000",
    "１２３",
    "٣٣",
    "²",
    "99999999999999999999999999999",
    "100.5",
    " 100 ",
    "+100",
    "1,000",
    "10**10",
    "9" * 5000,
    "-9223372036854775809",
    "18446744073709551616",
    # ids and lists
    "1,2,3",
    ",",
    ",,,",
    "1," * 150,
    "1 2",
    "[1,2]",
    "null",
    "true",
    "[]",
    "{}",
    # links
    "javascript:alert(1)",
    "http://127.0.0.1/",
    "file:///etc/passwd",
    "https://www.instagram.com/p/" + "A" * 5000,
    "https://xn--80ak6aa92e.com/",
    "https://www.instagram.com/p/abc/?utm=1#frag",
    "//evil.example/p/x",
    # whitespace and control characters
    "",
    " ",
    "\x00",
    "\r\n",
    "\t",
    "\u202e",
    "\ufeff",
    "\x1b[31m",
    "a\x00b",
    "\u0000" * 10,
    # long
    "A" * 100_000,
    "ы" * 20_000,
    "😀" * 5_000,
]

# Leaves of random JSON; text avoids lone surrogates (not encodable as UTF-8 anyway).
text = st.text(st.characters(codec="utf-8"), max_size=60)
control_text = st.text(st.characters(max_codepoint=0x2FF, codec="utf-8"), max_size=30)
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
)
leaves = st.one_of(
    st.none(), st.booleans(), numbers, text, control_text, st.sampled_from(FRAGMENTS)
)
nested = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)
refs = st.sampled_from([OWN_ORDER, *OTHERS, SERVICE, LINK, *TYPED])
values = st.one_of(leaves, leaves, refs, nested, st.lists(refs | leaves, max_size=5))


def mostly(usual, *unusual, per_ten: int = 7):
    """``usual`` in about ``per_ten`` examples of ten, one of ``unusual`` otherwise."""
    return st.integers(0, 9).flatmap(lambda n: usual if n < per_ten else st.one_of(*unusual))


keys = mostly(
    st.just(KEY),
    st.sampled_from(["", " ", "smmk_", "smmk_" + "0" * 38, "null", "' OR 1=1 --", "A" * 10_000]),
    text,
    st.none(),  # no key at all
    st.just([KEY]),
    st.just({"key": KEY}),
    per_ten=8,
)
action_names = st.one_of(
    st.sampled_from(ACTIONS),
    st.sampled_from(ACTIONS).map(str.upper),
    st.sampled_from(ACTIONS).map(lambda a: f"  {a}\t"),
    st.sampled_from(["", "Add", "delete", "services ", "__class__", "eval", "admin"]),
    text,
    nested,
)
param_names = st.one_of(st.sampled_from(PARAMS), st.sampled_from(PARAMS), text)
random_params = st.dictionaries(param_names, values, max_size=8)
quantities = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["100", "50", "10000", "10001", "49", "-100", "1e3", "100.0", " 100", "0"]),
    leaves,
)
plausible_add = st.fixed_dictionaries(
    {"action": st.just("add"), "service": st.one_of(st.just(SERVICE), values)},
    optional={
        "link": st.one_of(st.just(LINK), values),
        "quantity": quantities,
        "runs": quantities,
        "interval": quantities,
        "comments": st.one_of(text, st.lists(text, max_size=5).map("\n".join)),
    },
)
plausible_lookup = st.fixed_dictionaries(
    {"action": st.sampled_from(["status", "refill", "refill_status", "cancel"])},
    optional={
        "order": st.one_of(refs, values),
        "orders": st.one_of(st.lists(refs | leaves, max_size=6), values),
        "refill": st.one_of(refs, values),
        "refills": st.one_of(st.lists(refs | leaves, max_size=6), values),
    },
)
# The customer's own latest order, to cancel, refill or look up: the answers that accept.
own_lookup = st.builds(
    lambda action, name: {"action": action, name: OWN_ORDER},
    st.sampled_from(["cancel", "refill", "status"]),
    st.sampled_from(["order", "orders"]),
)
valid_add = st.builds(
    lambda quantity, extra: (
        extra | {"action": "add", "service": SERVICE, "link": LINK, "quantity": quantity}
    ),
    st.one_of(st.integers(50, 10_000), st.sampled_from(["100", " 500 ", "50", "10000", "1e2"])),
    st.dictionaries(st.sampled_from(PARAMS[7:]), values, max_size=2),
)
typed_add = st.fixed_dictionaries(
    {"action": st.just("add"), "service": st.sampled_from(TYPED), "link": st.just(LINK)},
    optional={
        "comments": multiline,
        "usernames": multiline,
        "hashtags": multiline,
        "hashtag": text,
        "username": st.one_of(text, st.sampled_from(["someone", "a_b.c"])),
        "min": quantities,
        "max": quantities,
        "posts": quantities,
        "delay": quantities,
        "expiry": st.one_of(text, st.dates().map(lambda d: d.strftime("%d/%m/%Y"))),
        "answer_number": quantities,
        "quantity": quantities,
    },
)
anything = st.builds(lambda a, p: p | {"action": a}, action_names, random_params)
param_sets = mostly(
    st.one_of(
        valid_add,
        typed_add,
        plausible_lookup,
        own_lookup,
        st.sampled_from(ACTIONS).map(lambda a: {"action": a}),
    ),
    plausible_add,
    anything,
    random_params,
    per_ten=5,
)

CLEAN_ENCODINGS = ["form", "json", "query", "multipart", "query+form", "json_as_text"]
ENCODINGS = [*CLEAN_ENCODINGS, "json_as_form", "malformed_json", "json_non_object", "garbage"]
CONTENT_TYPES = [
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=xyz",
    "text/plain",
    "application/octet-stream",
    "",
    "application/json; charset=utf-16",
    "application/x-www-form-urlencoded; charset=koi8-r",
    "application/x-www-form-urlencoded; charset=no-such-charset",
    "text/html; charset=utf-8",
    "application/xml",
    "application/json; charset=no-such-charset",
]
# A body is read on POST only; other methods carry their parameters in the query string.
OTHER_METHODS = ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclass
class Wire:
    """One HTTP request as sent: method, raw query string, body and content type."""

    method: str
    query: str = ""
    body: bytes = b""
    content_type: str | None = None


@dataclass
class Call:
    """One request of an example, before the placeholders are resolved."""

    key: object
    params: dict
    encoding: str
    method: str
    garbage: bytes = b""
    content_type: str = ""


calls = st.builds(
    Call,
    key=keys,
    params=param_sets,
    encoding=mostly(st.sampled_from(CLEAN_ENCODINGS), st.sampled_from(ENCODINGS)),
    method=mostly(st.just("POST"), st.sampled_from(OTHER_METHODS), per_ten=8),
    garbage=st.binary(max_size=300),
    content_type=st.sampled_from(CONTENT_TYPES),
)
examples = st.lists(calls, min_size=1, max_size=4)

# A body over DATA_UPLOAD_MAX_MEMORY_SIZE, and one with more fields than allowed.
HUGE_BODY = b"key=x&action=balance&pad=" + b"A" * (3 * 1024 * 1024)
MANY_FIELDS = "&".join(f"f{i}={i}" for i in range(1200)).encode()
sizes = st.sampled_from([None] * 30 + ["huge", "many"])


# -- building the wire request ------------------------------------------------------------


@dataclass
class World:
    """This example's customer and the stranger whose things must stay out of reach."""

    key: str
    services: dict[str, int]  # "" for the plain one, else by type
    others: dict[str, int]  # the stranger's ids, by the names of ``OTHERS``
    link_seq: int = 0
    own_orders: list = field(default_factory=list)

    def resolve(self, value):
        if isinstance(value, Ref):
            return {
                "KEY": self.key,
                "OWN_ORDER": str(self.own_orders[-1]) if self.own_orders else "1",
                "SERVICE": str(self.services[""]),
                "LINK": post_link(),
                **{name: str(pk) for name, pk in self.others.items()},
            }.get(value.name) or str(self.services[value.name.partition(":")[2]])
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            return {str(k): self.resolve(v) for k, v in value.items()}
        return value


def form_value(value) -> str | list[str]:
    """How a form or query string carries a value: text, repeated for lists."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [v if isinstance(v, str) else json.dumps(v) for v in map(form_text, value)]
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def form_text(value) -> str:
    text = form_value(value)
    return ",".join(text) if isinstance(text, list) else text


def urlencode(params: dict) -> str:
    return encode_query({k: form_value(v) for k, v in params.items()}, doseq=True)


def wire(world: World, call: Call, size: str | None) -> Wire:
    params = {}
    key = world.resolve(call.key)
    if key is not None:
        params["key"] = key
    params |= world.resolve(call.params)
    method = call.method
    if size == "huge":
        return Wire("POST", "", HUGE_BODY, "application/x-www-form-urlencoded")
    if size == "many":
        query = urlencode({"key": world.key})
        return Wire("POST", query, MANY_FIELDS, "application/x-www-form-urlencoded")
    match call.encoding:
        case "query":
            return Wire("GET" if method == "POST" else method, urlencode(params))
        case "form":
            return Wire(method, "", urlencode(params).encode(), "application/x-www-form-urlencoded")
        case "multipart":
            flat = {k: form_value(v) for k, v in params.items()}
            return Wire(method, "", encode_multipart(BOUNDARY, flat), MULTIPART_CONTENT)
        case "query+form":
            names = list(params)
            half = {k: params[k] for k in names[::2]}
            rest = {k: params[k] for k in names[1::2]}
            body = urlencode(rest).encode()
            return Wire(method, urlencode(half), body, "application/x-www-form-urlencoded")
        case "json" | "json_as_text" | "json_as_form":
            content_type = {
                "json": "application/json",
                "json_as_text": "text/plain",
                "json_as_form": "application/x-www-form-urlencoded",
            }[call.encoding]
            return Wire(method, "", json.dumps(params).encode(), content_type)
        case "malformed_json":
            body = json.dumps(params).encode()
            cut = body[: max(1, len(body) // 2)] + call.garbage[:20]
            return Wire(method, "", cut, "application/json")
        case "json_non_object":
            return Wire(method, "", json.dumps(list(params.values())).encode(), "application/json")
        case _:  # garbage
            return Wire(method, "", call.garbage, call.content_type)


# -- checking the answers -------------------------------------------------------------------


def snapshot(*users):
    return (
        [balance_of(u) for u in users],
        Order.objects.count(),
        OrderEvent.objects.count(),
        Refill.objects.count(),
        LedgerEntry.objects.count(),
    )


def holdings(user) -> dict[str, list]:
    """Everything of a customer's that a request could move: their wallet, every ledger
    entry, every order (its state, remains, cancel request…), its events, every refill of
    their orders (whoever opened it)."""
    return {
        "wallet": list(Wallet.objects.filter(user=user).values()),
        "ledger": list(LedgerEntry.objects.filter(user=user).order_by("pk").values()),
        "orders": list(Order.objects.filter(user=user).order_by("pk").values()),
        "events": list(OrderEvent.objects.filter(order__user=user).order_by("pk").values()),
        "refills": list(
            Refill.objects.filter(Q(user=user) | Q(order__user=user)).order_by("pk").values()
        ),
    }


@dataclass
class Accepted:
    """What an answer says was done: orders placed, orders canceled, refills opened."""

    placed: set[int] = field(default_factory=set)
    canceled: set[int] = field(default_factory=set)
    refills: set[int] = field(default_factory=set)


def accepted(answer) -> Accepted:
    """``add``: ``{"order": id}``; ``refill``: ``{"refill": "id"}`` or a list of
    ``{"order": …, "refill": id}``; ``cancel``: a list of ``{"order": id, "cancel": 1}``
    (a refused id carries ``{"error": …}`` instead of the id or the 1)."""
    done = Accepted()
    if isinstance(answer, dict):
        placed, opened = answer.get("order"), answer.get("refill")
        if set(answer) == {"order"} and isinstance(placed, int):
            done.placed.add(placed)
        if set(answer) == {"refill"} and isinstance(opened, str) and opened.isdigit():
            done.refills.add(int(opened))
        return done
    for entry in answer:
        if not (isinstance(entry, dict) and isinstance(entry.get("order"), int)):
            continue
        if set(entry) == {"order", "cancel"} and entry["cancel"] == 1:
            done.canceled.add(entry["order"])
        if set(entry) == {"order", "refill"} and isinstance(entry["refill"], int):
            done.refills.add(entry["refill"])
    return done


@dataclass
class Books:
    """Where a customer's records stood before a request: the last ledger entry, order
    and refill of theirs, and the balance."""

    entry: int
    order: int
    refill: int
    balance: int

    @classmethod
    def of(cls, user) -> "Books":
        def last(rows) -> int:
            return rows.order_by("-pk").values_list("pk", flat=True).first() or 0

        return cls(
            last(LedgerEntry.objects.filter(user=user)),
            last(Order.objects.filter(user=user)),
            last(Refill.objects.filter(user=user)),
            balance_of(user),
        )


def assert_moved_only_as_answered(customer, before: Books, answer, where: str):
    """The customer's new orders, refills and ledger entries are exactly what the answer
    says was accepted, and the wallet moved by the new entries alone."""
    done = accepted(answer)
    new_orders = set(
        Order.objects.filter(user=customer, pk__gt=before.order).values_list("pk", flat=True)
    )
    assert new_orders == done.placed, f"orders {new_orders}, answered {answer} for {where}"
    new_refills = set(
        Refill.objects.filter(user=customer, pk__gt=before.refill).values_list("pk", flat=True)
    )
    assert new_refills == done.refills, f"refills {new_refills}, answered {answer} for {where}"
    own = set(Order.objects.filter(user=customer).values_list("pk", flat=True))
    assert done.canceled <= own, f"canceled a stranger's order: {answer} for {where}"
    entries = LedgerEntry.objects.filter(user=customer, pk__gt=before.entry).select_related("order")
    for entry in entries:
        if entry.kind == LedgerEntry.Kind.CHARGE and entry.order_id in done.placed:
            assert entry.amount_micros == -entry.order.charge_micros, where
        elif entry.kind == LedgerEntry.Kind.REFUND and entry.order_id in done.canceled:
            assert entry.amount_micros == entry.order.charge_micros, where
        else:
            raise AssertionError(f"{entry.kind} of order {entry.order_id} after {answer}: {where}")
    moved = sum(e.amount_micros for e in entries)
    assert balance_of(customer) - before.balance == moved, f"wallet off its ledger: {where}"


def check_answer(status: int, content_type: str, body: bytes, request: Wire):
    where = f"{request.method} ?{request.query[:200]} {request.content_type} {request.body[:200]!r}"
    assert status == 200, f"HTTP {status} for {where}"
    assert content_type == "application/json", f"{content_type} for {where}"
    answer = json.loads(body)  # raises on anything but JSON
    assert isinstance(answer, (dict, list)), where
    if isinstance(answer, dict) and "error" in answer:
        assert set(answer) == {"error"}, f"error with other keys {answer} for {where}"
        assert isinstance(answer["error"], str) and answer["error"], where
        assert answer["error"] != INTERNAL_ERROR, f"a 500 in disguise for {where}"
        return answer, True
    return answer, False


@dataclass
class Stranger:
    user: object
    services: dict[str, int]  # by type, "" for the plain one (the fuzzing customers' too)
    ids: dict[str, int]  # by the names of ``OTHERS``


@pytest.fixture
def stranger(db):
    """Another customer with things the fuzzed requests must never reach: an order with a
    refill open, a finished order that could be refilled, a pending one that could be
    canceled."""
    services = {"": make_service()} | {
        kind: make_service(type=kind, **fields) for kind, fields in TYPED_SERVICES.items()
    }
    user = make_user("100")
    order = complete_order(make_order(user, services[""]))
    ids = {
        "OTHER_ORDER": order.pk,
        "OTHER_REFILL": request_refill(user, order.pk).pk,
        "OTHER_FINISHED": complete_order(make_order(user, services[""])).pk,
        "OTHER_PENDING": make_order(user, services[""]).pk,
    }
    return Stranger(user, {k: s.pk for k, s in services.items()}, ids)


@pytest.fixture
def lenient_key_guessing(settings):
    """The fuzz sends many invalid keys from one IP: lift the per-IP limit (tested in
    tests/security/test_brute_force.py) so the other answers stay reachable."""
    settings.API_BAD_KEY_PER_MINUTE = 10**6
    settings.API_BAD_KEY_BURST = 10**6


def outcome(answer, errored: bool) -> str:
    """A short name for an answer's kind, for the summary printed after a run."""
    if errored:
        return "error: " + re.sub(r"\d+", "N", answer["error"])[:50]
    if isinstance(answer, list):
        done = accepted(answer)
        said = [name for name in ("canceled", "refills") if getattr(done, name)]
        return "ok: list" + (f" ({', '.join(said)} accepted)" if said else "")
    return "ok: " + ",".join(sorted(answer))[:40]


def summary(counter: str, tried: int) -> str:
    kinds = OUTCOMES[counter].most_common()
    lines = "\n".join(f"  {n:5d}  {kind}" for kind, n in kinds)
    return f"\nfuzz ({counter}): {tried} requests tried; answers:\n{lines}"


def run_example(world_for, send, counter: str, stranger_user, calls_, size):
    customer, world = world_for()
    theirs = holdings(stranger_user)
    for i, call in enumerate(calls_):
        request = wire(world, call, size if i == 0 else None)
        before = snapshot(customer, stranger_user)
        books = Books.of(customer)
        status, content_type, body = send(request)
        REQUESTS[counter] += 1
        answer, errored = check_answer(status, content_type, body, request)
        OUTCOMES[counter][outcome(answer, errored)] += 1
        where = f"{answer} after {request}"
        assert holdings(stranger_user) == theirs, f"the stranger's things moved: {where}"
        assert_moved_only_as_answered(customer, books, answer, where)
        if errored:
            assert snapshot(customer, stranger_user) == before, where
        world.own_orders.extend(sorted(accepted(answer).placed))


def world_factory(stranger: Stranger):
    def make():
        customer = make_user("5")  # enough for some orders, not for the biggest
        world = World(make_key(customer), stranger.services, stranger.ids)
        return customer, world

    return make


FUZZ = dict(
    deadline=None,
    # No shrinking: it can take minutes on these inputs, and a failure already names the
    # exact request it sent (and hypothesis prints the example that found it).
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.function_scoped_fixture,
    ],
)


def repeat_until(fuzz, sent) -> int:
    """Run ``fuzz`` (one batch of examples) once, or, in the long run, again and again
    until ``sent()`` reaches ``FUZZ_API_REQUESTS`` or ``FUZZ_SECONDS`` have passed.
    Returns the batches run; every batch draws new examples (hypothesis seeds each)."""
    deadline = time.monotonic() + LONG_RUN_SECONDS if LONG_RUN_SECONDS > 0 else math.inf
    batches = 0
    while True:
        fuzz()
        batches += 1
        if sent() >= LONG_RUN_REQUESTS or time.monotonic() >= deadline:
            return batches


def test_fuzzing_api_v2_through_the_test_client(client, stranger, lenient_key_guessing):
    """Many examples through Django's test client: the whole request path, no sockets."""

    def send(request: Wire):
        path = f"/api/v2?{request.query}" if request.query else "/api/v2"
        extra = {"content_type": request.content_type} if request.content_type is not None else {}
        response = client.generic(request.method, path, request.body, **extra)
        return response.status_code, response.headers.get("Content-Type"), response.content

    start = REQUESTS["client"]
    make_world = world_factory(stranger)

    @settings(max_examples=CLIENT_EXAMPLES, **FUZZ)
    @given(calls_=examples, size=sizes)
    def fuzz(calls_, size):
        run_example(make_world, send, "client", stranger.user, calls_, size)

    began = time.monotonic()
    batches = repeat_until(fuzz, lambda: REQUESTS["client"] - start)
    tried = REQUESTS["client"] - start
    took = time.monotonic() - began
    print(summary("client", tried) + f"\n  in {batches} batch(es), {took:.0f} s")
    assert tried >= CLIENT_EXAMPLES
    assert ledger_mismatches() == []


def test_fuzzing_api_v2_over_real_http(live_server, stranger, lenient_key_guessing):
    """Fewer examples over a real socket: what a reseller's software actually sends."""
    url = f"{live_server.url}/api/v2"
    with httpx.Client(timeout=30, limits=NO_KEEPALIVE) as http:

        def send(request: Wire):
            headers = {"content-type": request.content_type} if request.content_type else {}
            response = http.request(
                request.method,
                # Front servers refuse longer request lines themselves (gunicorn: 4094).
                httpx.URL(url, query=request.query[:MAX_LIVE_QUERY].encode()),
                content=request.body,
                headers=headers,
            )
            return response.status_code, response.headers.get("content-type"), response.content

        start = REQUESTS["live"]
        make_world = world_factory(stranger)

        @settings(max_examples=LIVE_EXAMPLES, **FUZZ)
        @given(calls_=examples, size=sizes)
        def fuzz(calls_, size):
            run_example(make_world, send, "live", stranger.user, calls_, size)

        fuzz()
    tried = REQUESTS["live"] - start
    print(summary("live", tried))
    assert tried >= LIVE_EXAMPLES
    assert ledger_mismatches() == []


def test_the_request_builder_covers_every_encoding():
    """The fuzz above only means something if its requests are what they claim to be."""
    world = World("smmk_test", {"": 1}, {"OTHER_ORDER": 2, "OTHER_REFILL": 3})
    call = Call(KEY, {"action": "balance", "n": [1, 2]}, "form", "POST", b"\xff\x00", "text/plain")
    for encoding in set(ENCODINGS):
        request = wire(world, Call(**{**call.__dict__, "encoding": encoding}), None)
        if encoding == "query":
            assert "key=smmk_test" in request.query and request.method == "GET"
        elif encoding == "garbage":
            assert (request.body, request.content_type) == (b"\xff\x00", "text/plain")
        else:
            assert request.body
    assert json.loads(wire(world, Call(**{**call.__dict__, "encoding": "json"}), None).body) == {
        "key": "smmk_test",
        "action": "balance",
        "n": [1, 2],
    }
    assert len(wire(world, call, "huge").body) > 2.5 * 1024 * 1024
    assert math.isnan(float(form_text(float("nan"))))
