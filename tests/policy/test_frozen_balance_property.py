"""Property (issue 4): random order streams never move money on a frozen account.

A stream mixes orders (good and bad links, quantities in and out of range, services of
several kinds, comments that need review), customer cancels, refunds of whole orders and
of remains, deposits and staff decisions on held orders; a balance review opens at a
random point. While it is open the account's balance and its ledger entries stay exactly
as they were, and the ledger always matches the wallets. When the review closes, the
credits held meanwhile are written once.
"""

import contextlib

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from smmpanel.billing import services as billing
from smmpanel.billing.models import HeldCredit, LedgerEntry
from smmpanel.billing.selectors import balance_of, ledger_mismatches
from smmpanel.catalog.links import canonicalise
from smmpanel.orders.errors import InvalidTransition, OrderRefused
from smmpanel.orders.models import Order, OrderStatus
from smmpanel.orders.services import (
    cancel_and_refund,
    place_order,
    refund_remains,
    request_cancel,
)
from smmpanel.orders.state import transition
from smmpanel.policy import services as policy
from smmpanel.policy.models import DenyEntry
from smmpanel.staff.actions import orders as order_actions
from tests.factories import make_service, make_staff, make_user

pytestmark = pytest.mark.django_db

POSTS = [f"https://www.instagram.com/p/Post{n}/" for n in range(8)]
VIDEOS = [f"https://www.tiktok.com/@someone/video/730000000000000000{n}" for n in range(4)]
PRIVATE = "https://www.instagram.com/p/Private1/"  # known private
ODD_LINKS = (
    "instagram.com/p/Post1?igsh=abc",  # another spelling of an earlier link
    PRIVATE,
    "https://www.instagram.com/someone/",  # a profile, not a post
    VIDEOS[0],  # the wrong platform for the likes service
    "https://bit.ly/3xYzAbc",  # a shortener
    "not a link at all",
)
ODD_QUANTITIES = (0, 1, 49, 10001, 10**9)
COMMENTS = ("nice\nwow", "buy ScamCoin now", "a\nb\nc\nd", "")

likes_order = st.tuples(st.just("order"), st.just(0), st.sampled_from(POSTS), st.integers(50, 3000))
tiktok_order = st.tuples(
    st.just("order"), st.just(1), st.sampled_from(VIDEOS), st.integers(50, 3000)
)
odd_order = st.tuples(
    st.just("order"),
    st.integers(0, 1),
    st.sampled_from(ODD_LINKS + tuple(POSTS[:2])),
    st.one_of(st.sampled_from(ODD_QUANTITIES), st.integers(50, 3000)),
)
ops = st.one_of(
    likes_order,
    likes_order,
    tiktok_order,
    odd_order,
    st.tuples(st.just("comments"), st.sampled_from(POSTS), st.sampled_from(COMMENTS)),
    st.tuples(st.just("cancel"), st.integers(0, 40)),
    st.tuples(st.just("refund_all"), st.integers(0, 40)),
    st.tuples(st.just("refund_remains"), st.integers(0, 40), st.integers(1, 3000)),
    st.tuples(st.just("start"), st.integers(0, 40)),
    st.tuples(st.just("approve"), st.integers(0, 40)),
    st.tuples(st.just("reject"), st.integers(0, 40)),
    st.tuples(st.just("deposit"), st.integers(1, 50_000_000)),
)

EXPECTED = (OrderRefused, InvalidTransition, billing.AlreadySettled, ValueError)


def run(op, user, staff, services, comments) -> None:
    kind, *args = op
    mine = list(Order.objects.filter(user=user).order_by("id"))

    def pick(index):
        return mine[index % len(mine)] if mine else None

    if kind == "order":
        service_index, link, quantity = args
        place_order(user, services[service_index], {"link": link, "quantity": quantity})
    elif kind == "comments":
        place_order(user, comments, {"link": args[0], "comments": args[1]})
    elif kind == "deposit":
        billing.deposit(user, args[0], memo="random deposit")
    elif (order := pick(args[0])) is None:
        return
    elif kind == "cancel":
        request_cancel(user, order.pk)
    elif kind == "refund_all":
        cancel_and_refund(order, note="random cancel")
    elif kind == "refund_remains":
        refund_remains(order, args[1], note="random partial")
    elif kind == "start":
        transition(order, OrderStatus.IN_PROGRESS)
    elif kind == "approve":
        order_actions.approve_order(order, actor=staff, reason="random approve")
    elif kind == "reject":
        order_actions.reject_order(order, actor=staff, reason="random reject")


def ledger_count(user) -> int:
    return LedgerEntry.objects.filter(user=user).count()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    before=st.lists(ops, min_size=1, max_size=15),
    during=st.lists(ops, max_size=15),
    close=st.booleans(),
)
def test_random_streams_never_move_money_on_a_frozen_account(db, before, during, close):
    with transaction.atomic():  # each example starts clean: everything is rolled back
        staff = make_staff("support")
        user = make_user("200")
        bystander = make_user("50")
        likes = make_service()
        tiktok = make_service(name="TikTok Views", platform="TikTok", link_format="tiktok_video")
        comments = make_service(
            name="Custom Comments", type="custom comments", min_quantity=1, max_quantity=50
        )
        policy.add_deny_entry(DenyEntry.Kind.TERM, "scamcoin", actor=staff, reason="scam")
        policy.mark_target(canonicalise(PRIVATE), "private", source="provider")
        review = frozen = None

        for op in before + [None] + during:
            if op is None:  # the review opens in the middle of the stream
                review = policy.open_balance_review(user, reason="random review", actor=staff)
                orders = Order.objects.filter(user=user).count()
                frozen = (balance_of(user), ledger_count(user), orders)
                continue
            with contextlib.suppress(EXPECTED):
                run(op, user, staff, (likes, tiktok), comments)
            if op[0] == "order":  # someone else's money keeps moving meanwhile
                with contextlib.suppress(EXPECTED):
                    place_order(bystander, likes, {"link": op[2], "quantity": 100})
            if frozen is not None:
                assert balance_of(user) == frozen[0], op
                assert ledger_count(user) == frozen[1], op
                assert Order.objects.filter(user=user).count() == frozen[2], op
            assert ledger_mismatches() == [], op

        event(f"orders before the review: {min(frozen[2], 3)}")
        event(f"credits held: {min(HeldCredit.objects.filter(user=user).count(), 3)}")
        if close:
            held = sum(
                HeldCredit.objects.filter(user=user, released_at__isnull=True).values_list(
                    "amount_micros", flat=True
                )
            )
            count = HeldCredit.objects.filter(user=user, released_at__isnull=True).count()
            policy.close_balance_review(review, actor=staff, reason="random close")
            policy.close_balance_review(review, actor=staff, reason="closed twice")
            assert balance_of(user) == frozen[0] + held
            assert ledger_count(user) == frozen[1] + count
            assert not HeldCredit.objects.filter(user=user, released_at__isnull=True).exists()
        assert ledger_mismatches() == []
        transaction.set_rollback(True)
