"""Deposit requests: what a customer asks to add through a payment gateway, priced with
its fee and bonus, and what staff or the gateway decide about it. The money itself moves
through the ledger's writes (``billing.services``)."""

import re
import secrets
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from smmpanel.accounts.staff_rank import ensure_may_act_on
from smmpanel.audit.services import audit
from smmpanel.billing import gateways, pricing
from smmpanel.billing import services as billing
from smmpanel.billing.models import BonusTier, DepositRequest, HeldCredit, Wallet
from smmpanel.money import InvalidAmount, format_amount, to_micros
from smmpanel.notifications.services import notify

MAX_PENDING_DEPOSITS = 5
_AMOUNT = re.compile(r"[+-]?[0-9]{1,15}(?:\.[0-9]{1,20})?")
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read over the phone


class DepositRefused(Exception):
    """A deposit request that cannot be accepted; nothing was written.

    ``field`` names the input at fault (``amount`` or ``gateway``) so a form can show
    the message beside it.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class DepositAlreadyDecided(Exception):
    """The deposit was confirmed or rejected before (perhaps a moment ago by someone else)."""


class NotAllowed(Exception):
    """Only staff may confirm or reject a deposit of this gateway."""


def deposit_limits(gateway: gateways.PaymentGateway | None = None) -> tuple[int, int]:
    """The smallest and largest single deposit, in micros: the gateway's own when the
    owner set them, else settings MIN/MAX_DEPOSIT."""
    low = to_micros(settings.MIN_DEPOSIT)
    high = to_micros(getattr(settings, "MAX_DEPOSIT", "10000"))
    if gateway is not None:
        low = gateway.config.min_micros or low
        high = gateway.config.max_micros or high
    return low, high


def bonus_tiers() -> list[tuple[int, int]]:
    """The owner's deposit bonus tiers as ``(from_micros, percent_bp)``, lowest first."""
    return list(BonusTier.objects.order_by("from_micros").values_list("from_micros", "percent_bp"))


def quote_deposit(gateway: gateways.PaymentGateway, amount_micros: int) -> pricing.Quote:
    """What a deposit of ``amount_micros`` through ``gateway`` costs and brings."""
    config = gateway.config
    return pricing.quote(
        amount_micros,
        percent_bp=config.fee_percent_bp,
        fixed_micros=config.fee_fixed_micros,
        fee_paid_by=config.fee_paid_by,
        tiers=bonus_tiers(),
        panel_currency=settings.CURRENCY,
        pay_currency=config.pay_currency,
        rate_micros=config.rate_micros,
    )


def parse_deposit_amount(
    value: str | Decimal | int | None, gateway: gateways.PaymentGateway | None = None
) -> int:
    """A deposit amount typed by a person, as micros; raises ``DepositRefused`` with a
    message that says what to type instead.

    Accepts ``25``, ``25.5``, ``25.50`` and a decimal comma (``25,50``); refuses more than
    two decimals, zero, negative amounts and amounts outside the deposit limits.
    """
    text = str(value if value is not None else "").strip().replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if not text:
        raise DepositRefused(_("Enter the amount to deposit."), field="amount")
    if not _AMOUNT.fullmatch(text):
        raise DepositRefused(
            _("Enter the amount as a number, for example 25 or 25.50."), field="amount"
        )
    try:
        micros = to_micros(text)
    except InvalidAmount:  # more than six decimals
        micros = 1
    if micros % 10_000:
        raise DepositRefused(_("Use at most two decimals, for example 25.50."), field="amount")
    if micros <= 0:
        raise DepositRefused(_("The amount must be greater than zero."), field="amount")
    low, high = deposit_limits(gateway)
    currency = settings.CURRENCY
    if micros < low:
        raise DepositRefused(
            _("The minimum deposit is %(amount)s %(currency)s.")
            % {"amount": format_amount(low), "currency": currency},
            field="amount",
        )
    if micros > high:
        raise DepositRefused(
            _("The maximum single deposit is %(amount)s %(currency)s.")
            % {"amount": format_amount(high), "currency": currency},
            field="amount",
        )
    return micros


def chosen_gateway(gateway_code: str | None) -> gateways.PaymentGateway:
    """The enabled gateway a customer chose; ``DepositRefused`` for any other."""
    gateway = gateways.enabled_gateway(str(gateway_code or "").strip())
    if gateway is None:
        raise DepositRefused(_("Choose one of the payment methods offered."), field="gateway")
    return gateway


def request_deposit(
    user,
    gateway_code: str,
    amount: str | Decimal | int | None,
    *,
    customer_reference: str = "",
) -> DepositRequest:
    """Validate a customer's deposit request and record it, priced by the chosen gateway
    (fee, bonus, the amount the gateway collects); ``billing.payments.start_payment``
    then opens it at the gateway.

    Raises ``DepositRefused`` (and writes nothing) for an unknown or disabled gateway, a
    bad amount, or too many requests still waiting for staff.
    """
    gateway = chosen_gateway(gateway_code)
    micros = parse_deposit_amount(amount, gateway)
    waiting = DepositRequest.objects.filter(user=user, status=DepositRequest.Status.PENDING)
    if waiting.count() >= MAX_PENDING_DEPOSITS:
        raise DepositRefused(
            _(
                "You already have %(n)d deposit requests waiting to be checked. Please wait "
                "for them, or open a support ticket about a payment you made."
            )
            % {"n": MAX_PENDING_DEPOSITS},
            field="amount",
        )
    reference = " ".join(str(customer_reference or "").split())[:100]
    return open_deposit_request(
        user,
        gateway.code,
        micros,
        quote=quote_deposit(gateway, micros),
        customer_reference=reference,
    )


def open_deposit_request(
    user,
    gateway_code: str,
    amount_micros: int,
    *,
    quote: pricing.Quote | None = None,
    customer_reference: str = "",
) -> DepositRequest:
    """Record a pending deposit with a fresh reference code and its price."""
    billing.require_positive(amount_micros)
    priced = {}
    if quote is not None:
        priced = dict(
            fee_micros=quote.fee_micros,
            fee_paid_by=quote.fee_paid_by,
            bonus_micros=quote.bonus_micros,
            pay_currency=quote.pay_currency,
            pay_minor=quote.pay_minor,
            rate_micros=quote.rate_micros,
        )
    currency = (
        Wallet.objects.filter(user=user).values_list("currency", flat=True).first()
        or settings.CURRENCY
    )
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return DepositRequest.objects.create(
                    user=user,
                    gateway=gateway_code,
                    amount_micros=amount_micros,
                    currency=currency,
                    reference=_new_reference(),
                    customer_reference=customer_reference,
                    **priced,
                )
        except IntegrityError:  # a reference collision: vanishingly rare, try another
            continue
    raise RuntimeError("could not allocate a unique deposit reference")


def confirm_deposit(
    deposit_request: DepositRequest | int, *, actor=None, note: str = ""
) -> DepositRequest:
    """Mark a pending deposit confirmed and credit it: exactly one ledger deposit entry.

    The status moves by a conditional UPDATE from ``pending`` in the same transaction as
    the credit, so a second confirmation (a double click, two staff members, a repeated
    webhook) raises ``DepositAlreadyDecided`` and credits nothing. Deposits of a gateway
    checked by people (bank transfer) need a staff ``actor``. Under balance review the
    credit is held (``HeldCredit``) and written when the review ends.
    """
    current = _deposit(deposit_request)
    _check_actor(current, actor)
    # A payment held for review is staff's to confirm; the gateway's own path never is.
    from_states = [DepositRequest.Status.PENDING]
    unclaimed = {}
    if actor is not None:
        from_states.append(DepositRequest.Status.HELD)
        # Money the gateway took back (disputed or refunded) is never credited by hand.
        unclaimed = dict(disputed_at__isnull=True, refunded_at__isnull=True)
        if current.disputed_at or current.refunded_at:
            raise NotAllowed(
                _("This payment was disputed or refunded at the gateway; it cannot be credited.")
            )
    with transaction.atomic():
        won = DepositRequest.objects.filter(
            pk=current.pk, status__in=from_states, **unclaimed
        ).update(
            status=DepositRequest.Status.CONFIRMED,
            decided_at=timezone.now(),
            decided_by=actor,
            note=(note or "").strip()[:1000],
        )
        if won != 1:
            raise DepositAlreadyDecided(f"deposit {current.reference} was already decided")
        credit = billing.deposit(
            current.user,
            current.amount_micros,
            memo=f"deposit {current.reference} ({current.gateway})",
            created_by=actor,
        )
        billing.link_credit(current, credit)
        if current.bonus_micros > 0:
            billing.credit_bonus(current, actor)
        held = isinstance(credit, HeldCredit)
        notify(
            current.user,
            "deposit_held" if held else "deposit_credited",
            reference=current.reference,
            amount_micros=current.amount_micros,
        )
        if actor is not None:  # a gateway's own confirmation is the system's, not staff's
            _audit_deposit("deposit.confirm", current, actor, note, "confirmed")
    current.refresh_from_db()
    return current


def reject_deposit(deposit_request: DepositRequest | int, *, actor, reason: str) -> DepositRequest:
    """Refuse a pending deposit (money never arrived, wrong amount…); moves no money.

    The reason is required and shown to the customer. Raises ``DepositAlreadyDecided``
    for a deposit that is no longer pending.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValueError(_("A reason is required."))
    current = _deposit(deposit_request)
    _check_actor(current, actor)
    with transaction.atomic():
        won = DepositRequest.objects.filter(
            pk=current.pk,
            status__in=[DepositRequest.Status.PENDING, DepositRequest.Status.HELD],
        ).update(
            status=DepositRequest.Status.REJECTED,
            decided_at=timezone.now(),
            decided_by=actor,
            note=reason[:1000],
        )
        if won != 1:
            raise DepositAlreadyDecided(f"deposit {current.reference} was already decided")
        _audit_deposit("deposit.reject", current, actor, reason, "rejected")
    current.refresh_from_db()
    return current


def _audit_deposit(action: str, deposit: DepositRequest, actor, why: str, done: str) -> None:
    """The audit record of a staff decision on a deposit: the note or reason given, or
    else what was done."""
    amount = f"{format_amount(deposit.amount_micros)} {deposit.currency}"
    reason = (why or "").strip() or f"deposit {deposit.reference} of {amount} {done}"
    audit(action, actor=actor, user=deposit.user, reason=reason, deposit=deposit.pk, amount=amount)


def _deposit(given: DepositRequest | int) -> DepositRequest:
    pk = given.pk if isinstance(given, DepositRequest) else int(given)
    return DepositRequest.objects.select_related("user").get(pk=pk)


def _check_actor(deposit: DepositRequest, actor) -> None:
    gateway = gateways.gateway_of(deposit)
    needs_staff = gateway is None or gateway.staff_confirms
    if needs_staff and not (actor is not None and actor.is_active and actor.is_staff):
        raise NotAllowed(_("Only staff may confirm or reject this deposit."))
    ensure_may_act_on(actor, deposit.user)  # nobody confirms their own deposit


def _new_reference() -> str:
    return "D" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _i in range(9))
