"""Enforcement actions (issue 4), money first: Review orders approved or rejected, staff
cancel and partial, restrictions with expiry and lifting, API limitation, balance review
(frozen wallet, held credits released once), exposed key revocation."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from smmpanel.audit.models import Decision
from smmpanel.billing import services as billing
from smmpanel.billing.models import HeldCredit, LedgerEntry
from smmpanel.billing.selectors import balance_of, ledger_mismatches
from smmpanel.billing.services import AlreadySettled
from smmpanel.money import share_of, to_micros
from smmpanel.orders.errors import OrderRefused
from smmpanel.orders.models import Order, OrderStatus
from smmpanel.orders.services import (
    BALANCE_FROZEN,
    cancel_and_refund,
    place_order,
    refund_remains,
    request_cancel,
)
from smmpanel.orders.state import transition
from smmpanel.policy import services as policy
from smmpanel.policy.models import ApiLimit, BalanceReview, Restriction
from smmpanel.staff.actions import orders as order_actions
from tests.factories import make_order, post_link
from tests.policy.conftest import call_api, decisions, key_for, tune

pytestmark = pytest.mark.django_db


def refunds(order) -> list[int]:
    return list(
        LedgerEntry.objects.filter(order=order, kind=LedgerEntry.Kind.REFUND).values_list(
            "amount_micros", flat=True
        )
    )


def answer(response) -> dict:
    return json.loads(response.content)


@pytest.fixture
def hold_everything(staff):
    """Every order is held for review (the large-order rule, enforced, threshold 0)."""
    tune("order.large", staff, shadow=False, thresholds={"review_at_micros": 0})


def wallet_frozen(user) -> bool:
    user.wallet.refresh_from_db()
    return user.wallet.frozen


# -- Restrictions -----------------------------------------------------------------------


def test_restriction_with_expiry_lapses_by_itself(customer, service, staff, monkeypatch):
    now = timezone.now()
    policy.restrict(
        customer,
        Restriction.Level.ORDERING,
        reason="cooling off",
        actor=staff,
        expires_at=now + timedelta(hours=1),
    )
    policy.restrict(
        customer, Restriction.Level.LOGIN, reason="cooling off", expires_at=now + timedelta(hours=1)
    )
    with pytest.raises(OrderRefused, match="cooling off"):
        make_order(customer, service)
    from django.contrib.auth import authenticate

    assert authenticate(email=customer.email, password="pw-Test-12345") is None

    later = now + timedelta(hours=1, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert make_order(customer, service).status == OrderStatus.PENDING
    assert authenticate(email=customer.email, password="pw-Test-12345") == customer
    assert Restriction.objects.filter(user=customer, lifted_at__isnull=True).count() == 2


def test_lift_restriction_restores_ordering_and_is_audited(customer, service, staff):
    restriction = policy.restrict(
        customer, Restriction.Level.ORDERING, reason="checking", actor=staff
    )
    with pytest.raises(OrderRefused):
        make_order(customer, service)
    with pytest.raises(ValueError, match="reason"):
        policy.lift_restriction(restriction, actor=staff, reason=" ")
    policy.lift_restriction(restriction, actor=staff, reason="appeal accepted")
    restriction.refresh_from_db()
    assert restriction.lifted_by == staff and restriction.lift_reason == "appeal accepted"
    assert make_order(customer, service).status == OrderStatus.PENDING
    audit = Decision.objects.get(rule_code="restriction.lift")
    assert (audit.actor, audit.user, audit.outcome) == (staff, customer, "allow")


def test_restrictions_need_a_reason(customer):
    with pytest.raises(ValueError, match="reason"):
        policy.restrict(customer, Restriction.Level.ORDERING, reason="")
    with pytest.raises(ValueError, match="reason"):
        policy.limit_api(customer, 0, reason="")
    with pytest.raises(ValueError, match="reason"):
        policy.open_balance_review(customer, reason="")
    assert not Restriction.objects.exists() and not BalanceReview.objects.exists()


# -- API limitation ---------------------------------------------------------------------


def test_limit_api_blocks_and_lift_restores(customer, staff):
    _, key = key_for(customer)
    limit = policy.limit_api(customer, 0, reason="API spam", actor=staff)
    blocked = answer(call_api(key, "balance"))
    assert blocked == {
        "error": "API access is blocked: API spam. To appeal, open a support ticket. "
        "(rule api.blocked)"
    }
    audit = Decision.objects.get(rule_code="api.limit")
    assert audit.actor == staff and audit.inputs["per_minute"] == 0

    policy.lift_api_limit(limit, actor=staff, reason="promised to behave")
    assert "balance" in answer(call_api(key, "balance"))
    limit.refresh_from_db()
    assert limit.lifted_at is not None
    assert Decision.objects.get(rule_code="api.limit_lift").actor == staff


def test_limit_api_lowers_the_rate_of_one_key(customer, staff):
    limited_key, limited = key_for(customer, "limited")
    _, other = key_for(customer, "other")
    policy.limit_api(customer, 2, reason="slow down", actor=staff, api_key=limited_key)
    served = [("error" not in answer(call_api(limited, "balance"))) for _ in range(5)]
    assert served == [True, True, False, False, False]  # a lowered rate lowers the burst too
    over = call_api(limited, "balance")
    assert over["RateLimit-Policy"] == '"api";q=2;w=60'
    assert 0 < int(over["Retry-After"]) <= 60
    assert all("balance" in answer(call_api(other, "balance")) for _ in range(5))


def test_revoke_exposed_key_revokes_and_tells_the_owner(customer, staff):
    api_key, key = key_for(customer, "reseller bot")
    _, spare = key_for(customer, "spare")
    assert "balance" in answer(call_api(key, "balance"))

    policy.revoke_exposed_key(api_key, actor=staff, reason="found in a public GitHub repo")
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert answer(call_api(key, "balance")) == {"error": "Invalid API key"}
    assert "balance" in answer(call_api(spare, "balance"))  # only that key
    (message,) = mail.outbox
    assert message.to == [customer.email]
    assert api_key.masked in message.body and "public GitHub repo" in message.body
    assert key not in message.body  # never the secret itself
    audit = Decision.objects.get(rule_code="api.key_revoke")
    assert (audit.actor, audit.api_key, audit.user) == (staff, api_key, customer)


# -- Balance review ---------------------------------------------------------------------


def test_frozen_balance_cannot_be_spent_through_place_order(
    customer, service, staff, nothing_written
):
    review = policy.open_balance_review(customer, reason="card dispute", actor=staff)
    assert wallet_frozen(customer)
    assert Decision.objects.get(rule_code="balance.review_open").actor == staff
    with nothing_written(customer):
        with pytest.raises(OrderRefused) as caught:
            make_order(customer, service)
        assert caught.value.rule == "balance.review"
        # Even with the rule switched off, the wallet itself refuses to move.
        tune("balance.review", staff, enabled=False)
        with pytest.raises(OrderRefused, match=BALANCE_FROZEN):
            make_order(customer, service)
    assert not Order.objects.filter(user=customer).exists()

    policy.close_balance_review(review, actor=staff, reason="dispute won")
    assert not wallet_frozen(customer)
    assert make_order(customer, service).status == OrderStatus.PENDING


def test_refunds_during_review_are_held_and_released_exactly_once(customer, service, staff):
    canceled = make_order(customer, service)
    partial = make_order(customer, service, quantity=1000)
    by_customer = make_order(customer, service)
    transition(partial, OrderStatus.IN_PROGRESS)
    review = policy.open_balance_review(customer, reason="investigation", actor=staff)
    frozen_balance = balance_of(customer)
    entries = LedgerEntry.objects.filter(user=customer).count()

    cancel_and_refund(canceled, note="provider refused")
    refund_remains(partial, 400)
    request_cancel(customer, by_customer.pk)  # the customer's own cancel: refund held too
    billing.deposit(customer, to_micros("25"), memo="late payment")
    held = HeldCredit.objects.filter(user=customer, released_at__isnull=True)
    assert held.count() == 4
    assert balance_of(customer) == frozen_balance
    assert LedgerEntry.objects.filter(user=customer).count() == entries
    with pytest.raises(AlreadySettled):
        billing.refund_order(canceled, canceled.charge_micros)  # no second (held) refund
    assert not ledger_mismatches()

    expected = (
        canceled.charge_micros
        + share_of(partial.charge_micros, 400, 1000)
        + by_customer.charge_micros
        + to_micros("25")
    )
    assert sum(held.values_list("amount_micros", flat=True)) == expected
    policy.close_balance_review(review, actor=staff, reason="cleared")
    assert not wallet_frozen(customer)
    assert balance_of(customer) == frozen_balance + expected
    assert LedgerEntry.objects.filter(user=customer).count() == entries + 4
    assert refunds(canceled) == [canceled.charge_micros]
    assert not HeldCredit.objects.filter(user=customer, released_at__isnull=True).exists()

    # Closing again, or releasing again, writes nothing more.
    policy.close_balance_review(review, actor=staff, reason="cleared twice")
    assert billing.release_held_credits(customer) == []
    assert balance_of(customer) == frozen_balance + expected
    assert LedgerEntry.objects.filter(user=customer).count() == entries + 4
    assert Decision.objects.filter(rule_code="balance.review_close").count() == 1
    assert not ledger_mismatches()


def test_rejecting_a_review_order_during_a_balance_review_holds_the_refund(
    customer, service, staff, hold_everything
):
    held_order = make_order(customer, service)
    review = policy.open_balance_review(customer, reason="check", actor=staff)
    frozen_balance = balance_of(customer)
    order_actions.reject_order(held_order, actor=staff, reason="not allowed")
    assert balance_of(customer) == frozen_balance and refunds(held_order) == []
    assert HeldCredit.objects.get(order=held_order).amount_micros == held_order.charge_micros
    policy.close_balance_review(review, actor=staff, reason="done")
    assert refunds(held_order) == [held_order.charge_micros]
    assert balance_of(customer) == frozen_balance + held_order.charge_micros


def test_staff_adjustments_still_work_while_frozen(customer, staff):
    policy.open_balance_review(customer, reason="check", actor=staff)
    before = balance_of(customer)
    billing.adjust(customer, -to_micros("10"), memo="fraud recovered", created_by=staff)
    billing.adjust(customer, to_micros("3"), memo="goodwill", created_by=staff)
    assert balance_of(customer) == before - to_micros("7")
    kinds = LedgerEntry.objects.filter(user=customer, kind=LedgerEntry.Kind.ADJUSTMENT)
    assert kinds.count() == 2 and {e.created_by for e in kinds} == {staff}
    assert wallet_frozen(customer)
    assert not ledger_mismatches()


def test_overlapping_reviews_keep_the_balance_frozen_until_the_last_closes(customer, staff):
    first = policy.open_balance_review(customer, reason="one", actor=staff)
    assert policy.open_balance_review(customer, reason="same case", actor=staff) == first
    second = BalanceReview.objects.create(user=customer, reason="another case", opened_by=staff)
    billing.deposit(customer, to_micros("5"), memo="held")
    policy.close_balance_review(first, actor=staff, reason="one done")
    assert wallet_frozen(customer)
    assert HeldCredit.objects.filter(released_at__isnull=True).count() == 1
    policy.close_balance_review(second, actor=staff, reason="all done")
    assert not wallet_frozen(customer)
    assert balance_of(customer) == to_micros("105")


def test_chargeback_freezes_the_balance_and_blocks_ordering(customer, service, staff):
    order = make_order(customer, service)
    policy.record_chargeback(customer, to_micros("50"), memo="bank #1", actor=staff)
    assert wallet_frozen(customer)
    with pytest.raises(OrderRefused):
        place_order(customer, service, {"link": post_link(), "quantity": 100})
    before = balance_of(customer)
    cancel_and_refund(order)  # the refund waits for the review
    assert balance_of(customer) == before
    review = BalanceReview.objects.get(user=customer, closed_at__isnull=True)
    policy.close_balance_review(review, actor=staff, reason="settled")
    assert balance_of(customer) == before + order.charge_micros
    # Ordering stays blocked until staff lift the restriction: two separate decisions.
    with pytest.raises(OrderRefused) as caught:
        make_order(customer, service)
    assert caught.value.rule == "account.ordering_blocked"
    restriction = Restriction.objects.get(user=customer)
    assert restriction.created_by == staff
    assert decisions("chargeback.recorded", customer).count() == 1
    assert not ledger_mismatches()


# -- over real HTTP ---------------------------------------------------------------------


def test_frozen_balance_cannot_be_spent_through_the_api(api, api_customer, staff, nothing_written):
    from tests.factories import make_service

    user, key = api_customer
    service = make_service()
    ok = api(key, "add", service=service.pk, link=post_link(), quantity=100)
    assert set(ok) == {"order"}
    policy.open_balance_review(user, reason="under investigation", actor=staff)

    with nothing_written(user):
        for encoding in ("form", "json", "query"):
            refused = api(
                key, "add", encoding=encoding, service=service.pk, link=post_link(), quantity=100
            )
            assert set(refused) == {"error"}
            assert "under review" in refused["error"]
            assert "balance.review" in refused["error"]
    assert api(key, "balance")["balance"] == "99.91"  # reading the balance still works
    assert ApiLimit.objects.count() == 0


def test_frozen_balance_cannot_be_spent_through_the_web(
    client, customer, service, staff, nothing_written
):
    client.force_login(customer)
    policy.open_balance_review(customer, reason="under investigation", actor=staff)
    with nothing_written(customer):
        mass = client.post(
            "/orders/mass/", {"orders": f"{service.pk} | {post_link()} | 100"}, follow=True
        )
        assert mass.status_code == 200
        assert "cannot be spent until the review ends" in mass.content.decode()
    assert decisions("balance.review", customer).count() == 1
