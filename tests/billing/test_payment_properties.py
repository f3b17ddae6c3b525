"""A stateful property test of payments on PostgreSQL: random sequences of Stripe
notifications (duplicates, replays, reorders, bad signatures, mismatched amounts,
disputes, concurrent deliveries) and status checks against random payments, delivered
over HTTP to a live panel. After every step: every balance equals its ledger, no payment
is credited twice, a payment is credited only when its exact amount was paid, and
``audit-ledger`` is clean."""

import threading
import time

import httpx
import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from smmpanel.billing import deposits, payments
from smmpanel.billing.gateway_settings import add_bonus_tier
from smmpanel.billing.models import DepositRequest, HeldCredit, LedgerEntry
from smmpanel.billing.selectors import ledger_mismatches
from tests.billing.payment_helpers import open_stripe_payment
from tests.factories import make_user
from tests.fakes.stripe import sign

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs a real PostgreSQL server (concurrent deliveries under row locks): run "
    "with DATABASE_URL=postgres://… (make test-postgres)",
)
THREAD_TIMEOUT = 60


def deliveries(url: str, bodies: list[tuple[bytes, str]]) -> list[int]:
    """POST each (body, signature) at once from its own thread; the status codes."""
    barrier = threading.Barrier(len(bodies))
    codes = [0] * len(bodies)

    def run(i: int) -> None:
        body, signature = bodies[i]
        with httpx.Client(timeout=THREAD_TIMEOUT) as client:
            barrier.wait(timeout=THREAD_TIMEOUT)
            response = client.post(
                url,
                content=body,
                headers={"Content-Type": "application/json", "Stripe-Signature": signature},
            )
            codes[i] = response.status_code

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(THREAD_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a delivery hung"
    return codes


class Payments(RuleBasedStateMachine):
    fake = None
    url = ""

    payments = Bundle("payments")
    events = Bundle("events")

    def __init__(self):
        super().__init__()
        self.user = make_user()
        self.paid_exactly: set[int] = set()  # payments whose exact amount was paid
        self.opened = 0

    @precondition(lambda self: self.opened < deposits.MAX_PENDING_DEPOSITS)
    @rule(target=payments, amount=st.sampled_from(["5", "12.50", "25", "99.99"]))
    def open_payment(self, amount):
        self.opened += 1
        return open_stripe_payment(self.user, amount)

    @rule(
        target=events,
        deposit=payments,
        mismatch=st.sampled_from([None, None, "amount", "currency"]),
    )
    def customer_pays(self, deposit, mismatch):
        session = self.fake.pay(
            deposit.external_id,
            amount=deposit.pay_minor - 1 if mismatch == "amount" else deposit.pay_minor,
            currency="eur" if mismatch == "currency" else "usd",
        )
        if mismatch is None:
            self.paid_exactly.add(deposit.pk)
        return self.fake.event("checkout.session.completed", session)

    @rule(target=events, deposit=payments)
    def session_expires(self, deposit):
        session = dict(self.fake.sessions[deposit.external_id], status="expired")
        return self.fake.event("checkout.session.expired", session)

    @rule(target=events, deposit=payments)
    def payment_disputed(self, deposit):
        session = self.fake.sessions[deposit.external_id]
        if session["payment_intent"] is None:  # nothing paid: nothing to dispute
            session = dict(session, payment_intent="pi_test_never_paid")
        dispute = {
            "id": "dp_test",
            "object": "dispute",
            "amount": session["amount_total"],
            "currency": session["currency"],
            "payment_intent": session["payment_intent"],
        }
        return self.fake.event("charge.dispute.created", dispute)

    @rule(body=events, copies=st.integers(min_value=1, max_value=3))
    def deliver(self, body, copies):
        """The same notification once, or several copies at the same moment."""
        codes = deliveries(self.url, [(body, sign(body))] * copies)
        assert set(codes) <= {200}, codes

    @rule(body=events, age=st.integers(min_value=0, max_value=290))
    def replay_later(self, body, age):
        """A captured notification sent again with a fresh signature of another time."""
        stamp = int(time.time()) - age
        assert deliveries(self.url, [(body, sign(body, timestamp=stamp))]) == [200]

    @rule(body=events, how=st.sampled_from(["secret", "old", "missing", "tampered"]))
    def deliver_badly_signed(self, body, how):
        if how == "secret":
            signature = sign(body, "whsec_attacker")
        elif how == "old":
            signature = sign(body, timestamp=int(time.time()) - 3600)
        elif how == "missing":
            signature = ""
        else:
            signature, body = sign(body), body.replace(b'"livemode": false', b'"livemode": true')
        assert deliveries(self.url, [(body, signature)]) == [400]

    @rule(deposit=payments, workers=st.integers(min_value=1, max_value=3))
    def worker_checks_status(self, deposit, workers):
        """One or several workers ask Stripe about the payment at the same moment."""
        DepositRequest.objects.filter(pk=deposit.pk, status="pending").update(
            next_check_at=timezone.now()
        )
        barrier = threading.Barrier(workers)
        errors = []

        def run():
            try:
                barrier.wait(timeout=THREAD_TIMEOUT)
                payments.check_payment(deposit.pk)
            except Exception as exc:  # reported to the test
                errors.append(repr(exc))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=run, daemon=True) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(THREAD_TIMEOUT)
        assert not errors, errors

    @invariant()
    def every_balance_equals_its_ledger(self):
        assert ledger_mismatches() == []

    @invariant()
    def no_payment_is_credited_twice(self):
        for deposit in DepositRequest.objects.filter(user=self.user):
            memo = f"deposit {deposit.reference} ({deposit.gateway})"
            credits = LedgerEntry.objects.filter(user=self.user, kind="deposit", memo=memo).count()
            credits += HeldCredit.objects.filter(user=self.user, kind="deposit", memo=memo).count()
            assert credits == (1 if deposit.status == "confirmed" else 0), deposit
            bonuses = LedgerEntry.objects.filter(
                user=self.user, kind="bonus", memo=f"bonus for deposit {deposit.reference}"
            )
            assert bonuses.count() <= 1

    @invariant()
    def only_exact_payments_are_credited(self):
        credited = set(
            DepositRequest.objects.filter(user=self.user, status="confirmed").values_list(
                "pk", flat=True
            )
        )
        assert credited <= self.paid_exactly

    def teardown(self):
        call_command("audit_ledger")  # exits non-zero on any mismatch


@pytest.mark.postgres
def test_payments_are_credited_at_most_once_whatever_arrives(
    transactional_db, live_server, stripe_on
):
    add_bonus_tier(10_000_000, 1000)  # a bonus beside some payments, its own entry
    Payments.fake = stripe_on
    Payments.url = f"{live_server.url}/payments/notify/stripe/"
    with override_settings(PAYMENT_NOTIFICATIONS_PER_MINUTE=1_000_000):
        run_state_machine_as_test(
            Payments,
            settings=settings(
                max_examples=10,
                stateful_step_count=18,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
