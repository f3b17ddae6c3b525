"""Hostile input on the customer's web forms, with the API fuzz's oracles.

Hypothesis posts random values to the forms that can move money or write orders: new
order (and its live quote), mass order, cancel, refill, deposit, new ticket. Each example
is a fresh signed-in customer (with a little money, a pending order and a completed one
to cancel or refill) sending a few posts. For every post:
no server error (the test client raises on one); the customer's money moved only by a
charge for each order of theirs the post created (exactly its charge) and a refund only
on a cancel of an order of theirs; no deposit credited; a post refused (an error message
or a status of 400 and up) wrote nothing; a stranger's wallet, ledger, orders and
refills are as they were; at the end every wallet equals its ledger.

In CI a few dozen examples run; the long run (``make fuzz``) sets ``FUZZ_WEB_POSTS`` and
``FUZZ_SECONDS`` (see tests/api/test_fuzz.py, whose oracles and stranger this reuses).
"""

import os
import time
from collections import Counter

from django.contrib.messages import constants, get_messages
from hypothesis import given, settings
from hypothesis import strategies as st

from smmpanel.billing.models import LedgerEntry
from smmpanel.billing.selectors import balance_of, ledger_mismatches
from smmpanel.catalog.models import Service
from smmpanel.orders.models import Order
from smmpanel.orders.services import complete_order
from tests.api.test_fuzz import (
    FRAGMENTS,
    FUZZ,
    Books,
    holdings,
    line,
    mostly,
    quantities,
    snapshot,
    stranger,  # noqa: F401 - the fixture
)
from tests.factories import make_order, make_user, post_link

POSTS = {"web": 0}
OUTCOMES: Counter = Counter()
EXAMPLES = 40
LONG_RUN_POSTS = int(os.environ.get("FUZZ_WEB_POSTS") or 0)
LONG_RUN_SECONDS = float(os.environ.get("FUZZ_SECONDS") or 0)

junk = st.one_of(line, st.sampled_from(FRAGMENTS), st.integers().map(str), st.just(""))
SERVICE, OWN, OTHER, LINK = "<service>", "<own order>", "<stranger's order>", "<link>"
DONE = "<own completed order>"
refs = st.sampled_from([SERVICE, OWN, DONE, OTHER, LINK])
values = st.one_of(junk, refs, quantities.map(str))
EXTRA_FIELDS = [
    "runs",
    "interval",
    "comments",
    "usernames",
    "hashtags",
    "username",
    "answer_number",
    "min",
    "max",
    "posts",
    "delay",
    "expiry",
    "next",
]
order_fields = st.builds(
    lambda base, extra: base | extra,
    st.fixed_dictionaries(
        {
            "service": mostly(st.just(SERVICE), values, per_ten=8),
            "link": mostly(st.just(LINK), values, per_ten=8),
            "quantity": mostly(st.integers(50, 10_000).map(str), values),
        }
    ),
    # Usually none of the other types' fields, so that many posts place an order.
    mostly(st.just({}), st.dictionaries(st.sampled_from(EXTRA_FIELDS), values, max_size=4)),
)
mass_line = st.one_of(
    st.tuples(st.just(SERVICE), st.just(LINK), st.integers(40, 5_000).map(str)),
    st.tuples(values, values, values),
).map(lambda parts: " | ".join(parts))
mass_text = st.one_of(
    st.lists(mass_line, max_size=6).map("\n".join),
    st.lists(junk, max_size=4).map("\n".join),
)
posts = st.one_of(
    st.tuples(st.sampled_from(["/orders/new/", "/orders/quote/"]), order_fields),
    st.tuples(st.just("/orders/mass/"), st.fixed_dictionaries({"orders": mass_text})),
    st.tuples(
        st.sampled_from(["/orders/{}/cancel/", "/orders/{}/refill/"]),
        st.fixed_dictionaries({}, optional={"next": junk}),
    ),
    st.tuples(
        st.just("/funds/deposit/"),
        st.fixed_dictionaries({"gateway": st.one_of(st.just("manual"), junk), "amount": values}),
    ),
    st.tuples(
        st.just("/tickets/new/"),
        st.fixed_dictionaries(
            {
                "kind": mostly(
                    st.sampled_from(["order", "payment", "refill", "cancel", "other"]), junk
                ),
                "title": mostly(st.just("Where is my order?"), junk),
                "body": mostly(st.just("It has not started yet."), junk),
            },
            optional={"orders": st.lists(st.one_of(refs, values), max_size=3)},
        ),
    ),
)
targets = mostly(st.sampled_from([OWN, DONE]), st.sampled_from([OTHER, "0", "999999999"]))
examples = st.lists(st.tuples(posts, targets), min_size=1, max_size=4)


def resolve(value, ids: dict[str, str]):
    """A placeholder's value for this example (each of a list's)."""
    if isinstance(value, list):
        return [resolve(v, ids) for v in value]
    return ids.get(value, value) if value != LINK else post_link()


def assert_only_own_orders_moved_money(customer, before: Books, path: str, where: str):
    """New ledger entries: a charge of each new order of the customer's, exactly its
    charge; a refund only on a cancel, of an order of theirs; nothing else."""
    new_orders = Order.objects.filter(user=customer, pk__gt=before.order)
    entries = LedgerEntry.objects.filter(user=customer, pk__gt=before.entry).select_related("order")
    for entry in entries:
        if entry.kind == LedgerEntry.Kind.CHARGE:
            assert entry.order_id in {o.pk for o in new_orders}, where
            assert entry.amount_micros == -entry.order.charge_micros, where
        elif entry.kind == LedgerEntry.Kind.REFUND and path.endswith("/cancel/"):
            assert entry.order.user_id == customer.pk, where
            assert 0 < entry.amount_micros <= entry.order.charge_micros, where
        else:
            raise AssertionError(f"{entry.kind} of order {entry.order_id}: {where}")
    moved = sum(e.amount_micros for e in entries)
    assert balance_of(customer) - before.balance == moved, f"wallet off its ledger: {where}"
    charged = {e.order_id for e in entries if e.kind == LedgerEntry.Kind.CHARGE}
    assert charged == {o.pk for o in new_orders}, f"an order without its charge: {where}"


def test_fuzzing_the_web_forms(client, stranger, service):  # noqa: F811 - the fixture
    """Random posts to every form that can move money, through Django's test client."""
    start = POSTS["web"]
    plain = Service.objects.get(pk=stranger.services[""])
    typed = [v for k, v in stranger.services.items() if k]
    # Mostly the plain service, whose orders a valid form places; now and then a typed one.
    service_picks = mostly(st.just(plain.pk), st.sampled_from(typed))

    @settings(max_examples=EXAMPLES, **FUZZ)
    @given(calls=examples, service_pick=service_picks)
    def fuzz(calls, service_pick):
        customer = make_user("5")
        done = complete_order(make_order(customer, plain)).pk
        make_order(customer, plain)
        client.force_login(customer)
        theirs = holdings(stranger.user)
        for (path, fields), target in calls:
            last = Order.objects.filter(user=customer).order_by("-pk").first()
            ids = {
                SERVICE: str(service_pick),
                OWN: str(last.pk),
                DONE: str(done),
                OTHER: str(stranger.ids["OTHER_PENDING"]),
            }
            url = path.format(resolve(target, ids))
            data = {name: resolve(value, ids) for name, value in fields.items()}
            before, books = snapshot(customer, stranger.user), Books.of(customer)
            response = client.post(url, data)
            POSTS["web"] += 1
            where = f"POST {url} {data!r} -> {response.status_code}"
            assert response.status_code < 500, where
            # This post's messages only: those of an earlier post not followed stay stored.
            said = get_messages(response.wsgi_request)._queued_messages
            errors = [m for m in said if m.level == constants.ERROR]
            refused = response.status_code >= 400 or bool(errors)
            OUTCOMES[f"{path} {response.status_code}{' refused' if refused else ''}"] += 1
            assert holdings(stranger.user) == theirs, f"the stranger's things moved: {where}"
            assert_only_own_orders_moved_money(customer, books, path, where)
            if refused:
                assert snapshot(customer, stranger.user) == before, where

    began = time.monotonic()
    deadline = began + LONG_RUN_SECONDS if LONG_RUN_SECONDS > 0 else 0
    batches = 0
    while True:  # one batch in CI; in the long run, until the target or the time bound
        fuzz()
        batches += 1
        if POSTS["web"] - start >= LONG_RUN_POSTS or time.monotonic() >= deadline:
            break
    tried = POSTS["web"] - start
    kinds = "\n".join(f"  {n:6d}  {kind}" for kind, n in OUTCOMES.most_common())
    took = time.monotonic() - began
    print(f"\nfuzz (web forms): {tried} posts in {batches} batch(es), {took:.0f} s:\n{kinds}")
    assert tried >= EXAMPLES
    assert ledger_mismatches() == []
