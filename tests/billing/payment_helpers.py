"""Small factories for payment tests: a Stripe payment opened at the fake, and its
notifications delivered to the panel's service as the endpoint would."""

from smmpanel.billing import payments
from smmpanel.billing.deposits import request_deposit
from tests.fakes.stripe import sign


def open_stripe_payment(user, amount: str = "25"):
    """A pending Stripe payment of ``amount``, its Checkout Session opened at the fake."""
    deposit = request_deposit(user, "stripe", amount)
    return payments.start_payment(
        deposit,
        return_url=f"http://testserver/funds/payments/{deposit.reference}/",
        notify_url="http://testserver/payments/notify/stripe/",
    )


def deliver(body: bytes, signature: str | None = None) -> payments.Received:
    """One notification through ``payments.receive_notification``, signed unless told."""
    headers = {"Stripe-Signature": sign(body) if signature is None else signature}
    return payments.receive_notification("stripe", body, headers, "127.0.0.1")
