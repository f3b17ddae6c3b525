"""Writes for money. Every movement is one ledger entry plus one conditional UPDATE
of the wallet, in the caller's transaction (or a new one)."""

import re
import secrets
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from smmpanel.accounts.staff_rank import ensure_may_act_on
from smmpanel.audit.services import audit
from smmpanel.billing import gateways, pricing
from smmpanel.billing.models import BonusTier, DepositRequest, HeldCredit, LedgerEntry, Wallet
from smmpanel.billing.selectors import WalletState, wallet_state
from smmpanel.money import InvalidAmount, format_amount, to_micros
from smmpanel.notifications.services import notify, raise_alert


class InsufficientFunds(Exception):
    """The wallet cannot cover the debit."""


class AlreadySettled(Exception):
    """This order already has the ledger entry being written (charge or refund)."""


class BalanceFrozen(Exception):
    """The balance is under review: it cannot be spent, and credits are held."""


def open_wallet(user) -> Wallet:
    """Create the user's empty wallet in the panel's currency (idempotent)."""
    wallet, _ = Wallet.objects.get_or_create(user=user, defaults={"currency": settings.CURRENCY})
    return wallet


# What an order's charge entry says, with the order's id.
CHARGE_MEMO = "order {}"


def locked_wallet(user) -> WalletState:
    """The user's ``WalletState``, with the wallet row locked until the caller's
    transaction ends (PostgreSQL; SQLite's IMMEDIATE transaction already keeps other
    writers out). Whoever moves money takes the wallet first, so two movements of one
    account never wait on each other in opposite order."""
    return wallet_state(user, lock=True)


def _move(
    user,
    kind: str,
    amount_micros: int,
    *,
    allow_negative: bool,
    by_staff: bool = False,
    savepoint: bool = True,
    **cause,
) -> LedgerEntry | HeldCredit:
    """Apply a signed movement atomically: the wallet UPDATE and its ledger entry.

    Debits are conditional on the balance covering them (unless ``allow_negative``:
    chargebacks and staff corrections may take a balance below zero, truthfully).
    A frozen wallet (balance review) moves only ``by_staff``; a credit that arrives
    meanwhile is held and written when the review ends.

    ``savepoint=False`` is for a caller whose whole transaction ends on any error here
    (placing an order): a refused movement then leaves no savepoint to roll back to.
    """
    with transaction.atomic(savepoint=savepoint):
        covered_only = amount_micros < 0 and not allow_negative
        # The usual movement in one statement: the conditional UPDATE, whose row lock
        # lasts until commit, says the balance it left. Only when its conditions fail
        # does the wallet's locked read below find out why.
        balance_after = _apply(
            user, amount_micros, unfrozen_only=not by_staff, covered_only=covered_only
        )
        if balance_after is None:
            # Locked before deciding: a review closing at this moment holds the lock
            # until it has unfrozen the wallet and released what was held, so a credit
            # is never held after that release (it would be stranded).
            wallet = locked_wallet(user)
            if wallet.frozen and not by_staff:
                if amount_micros >= 0:  # a zero refund is held too: it must not fail a sync
                    return _hold(user, kind, amount_micros, cause)
                raise BalanceFrozen()
            # The review may have ended while we waited: the movement goes through then.
            balance_after = _apply(
                user, amount_micros, unfrozen_only=not by_staff, covered_only=covered_only
            )
            if balance_after is None:
                raise InsufficientFunds()
        try:
            # No savepoint of its own: the error leaves this block at once, and its
            # savepoint (or the caller's transaction) undoes the wallet UPDATE with it.
            with transaction.atomic(savepoint=False):
                return LedgerEntry.objects.create(
                    user=user,
                    kind=kind,
                    amount_micros=amount_micros,
                    balance_after_micros=balance_after,
                    **cause,
                )
        except IntegrityError as exc:
            raise AlreadySettled(f"order {cause.get('order')} already has a {kind}") from exc


def _apply(user, amount_micros: int, *, unfrozen_only: bool, covered_only: bool) -> int | None:
    """Add ``amount_micros`` to the user's wallet where the conditions hold, and return
    the balance it left (None: no row matched). Raw SQL for ``RETURNING``, which the
    ORM's ``update()`` cannot say; the amount is cast to the column's bigint (psycopg's
    server-side binding would send a bare int as int4 and cut larger sums)."""
    table, q = Wallet._meta.db_table, connection.ops.quote_name
    balance, user_id, frozen = (
        q(Wallet._meta.get_field(name).column) for name in ("balance_micros", "user", "frozen")
    )
    conditions, params = [f"{user_id} = %s"], [amount_micros, user.pk]
    if unfrozen_only:
        conditions.append(f"{frozen} = %s")
        params.append(False)
    if covered_only:
        conditions.append(f"{balance} >= CAST(%s AS bigint)")
        params.append(-amount_micros)
    sql = (
        f"UPDATE {q(table)} SET {balance} = {balance} + CAST(%s AS bigint) "
        f"WHERE {' AND '.join(conditions)} RETURNING {balance}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else row[0]


def _hold(user, kind: str, amount_micros: int, cause: dict) -> HeldCredit:
    order = cause.get("order")
    if (
        order is not None
        and kind == LedgerEntry.Kind.REFUND
        and (
            LedgerEntry.objects.filter(order=order, kind=kind).exists()
            or HeldCredit.objects.filter(order=order, kind=kind).exists()
        )
    ):
        raise AlreadySettled(f"order {order.pk} already has a {kind}")
    return HeldCredit.objects.create(
        user=user, kind=kind, amount_micros=amount_micros, order=order, memo=cause.get("memo", "")
    )


def release_held_credits(user) -> list[LedgerEntry]:
    """Write the credits held during a balance review to the ledger (review closed).

    A held deposit is linked to the ledger entry it becomes, as one confirmed outside a
    review is, and keeps its link to the held credit (the record that it waited).
    """
    entries = []
    with transaction.atomic():
        held = HeldCredit.objects.filter(user=user, released_at__isnull=True)
        credits = list(held.select_for_update() if _locks() else held)
        deposits = DepositRequest.objects.filter(held_credit__in=credits)
        deposits = {d.held_credit_id: d for d in deposits.select_related("decided_by")}
        for credit in credits:
            deposit_request = deposits.get(credit.pk)
            entry = _move(
                user,
                credit.kind,
                credit.amount_micros,
                allow_negative=False,
                order=credit.order,
                memo=f"{credit.memo} (held during balance review)"[:255],
                # Who confirmed the payment, as on a deposit credited at once.
                created_by=deposit_request.decided_by if deposit_request else None,
            )
            entries.append(entry)
            HeldCredit.objects.filter(pk=credit.pk).update(released_at=timezone.now())
            if deposit_request is not None:
                _link_credit(deposit_request, entry)
    return entries


def _link_credit(deposit_request: DepositRequest, credit: LedgerEntry | HeldCredit) -> None:
    """Point the deposit at what it credited: the ledger entry, or (under balance review)
    the held credit that becomes one when the review ends."""
    link = "ledger_entry" if isinstance(credit, LedgerEntry) else "held_credit"
    DepositRequest.objects.filter(pk=deposit_request.pk).update(**{link: credit})


def set_frozen(user, frozen: bool) -> None:
    """Freeze or unfreeze the user's balance (balance review)."""
    Wallet.objects.filter(user=user).update(frozen=frozen)


def _locks() -> bool:
    return connection.features.has_select_for_update


def deposit(
    user, amount_micros: int, *, memo: str = "", created_by=None
) -> LedgerEntry | HeldCredit:
    """Credit a confirmed payment (held while the balance is under review)."""
    _positive(amount_micros)
    return _move(
        user,
        LedgerEntry.Kind.DEPOSIT,
        amount_micros,
        allow_negative=False,
        memo=memo,
        created_by=created_by,
    )


def charge_order(order, *, savepoint: bool = True) -> LedgerEntry:
    """Debit an order's charge; raises ``InsufficientFunds`` and writes nothing if short
    (``savepoint``: see ``_move``)."""
    return _move(
        order.user,
        LedgerEntry.Kind.CHARGE,
        -order.charge_micros,
        allow_negative=False,
        savepoint=savepoint,
        order=order,
        memo=CHARGE_MEMO.format(order.pk),
    )


def refund_order(order, amount_micros: int, memo: str = "") -> LedgerEntry | HeldCredit:
    """Credit a refund for ``order``; at most one refund entry per order exists.

    During a balance review the refund is held and written when the review ends.
    """
    if amount_micros < 0:
        raise ValueError("refund must not be negative")
    return _move(
        order.user,
        LedgerEntry.Kind.REFUND,
        amount_micros,
        allow_negative=False,
        order=order,
        memo=memo or f"order {order.pk}",
    )


def adjust(user, amount_micros: int, *, memo: str, created_by) -> LedgerEntry:
    """A staff correction, positive or negative, with the reason kept."""
    if not memo:
        raise ValueError("an adjustment needs a reason")
    return _move(
        user,
        LedgerEntry.Kind.ADJUSTMENT,
        amount_micros,
        allow_negative=True,
        by_staff=True,
        memo=memo,
        created_by=created_by,
    )


def record_chargeback(user, amount_micros: int, *, memo: str, created_by=None) -> LedgerEntry:
    """A payment taken back by the payer's bank; may leave the balance negative."""
    _positive(amount_micros)
    with transaction.atomic():
        entry = _move(
            user,
            LedgerEntry.Kind.CHARGEBACK,
            -amount_micros,
            allow_negative=True,
            by_staff=True,
            memo=memo,
            created_by=created_by,
        )
        raise_alert(
            f"chargeback:{entry.pk}", "chargeback", email=user.email, amount_micros=amount_micros
        )
    return entry


def _positive(amount_micros: int) -> None:
    if amount_micros <= 0:
        raise ValueError("amount must be positive")


# --- deposits through payment gateways ---------------------------------------------------

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
    _positive(amount_micros)
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
        credit = deposit(
            current.user,
            current.amount_micros,
            memo=f"deposit {current.reference} ({current.gateway})",
            created_by=actor,
        )
        _link_credit(current, credit)
        if current.bonus_micros > 0:
            _credit_bonus(current, actor)
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


def _credit_bonus(current: DepositRequest, actor) -> None:
    """The deposit's bonus as its own ledger entry (``bonus``), never paid money; held
    with the deposit under balance review."""
    bonus = _move(
        current.user,
        LedgerEntry.Kind.BONUS,
        current.bonus_micros,
        allow_negative=False,
        memo=f"bonus for deposit {current.reference}",
        created_by=actor,
    )
    if isinstance(bonus, LedgerEntry):
        DepositRequest.objects.filter(pk=current.pk).update(bonus_entry=bonus)


def reverse_bonus(current: DepositRequest, *, memo: str) -> LedgerEntry | None:
    """Take back a deposit's bonus (its payment was disputed or refunded): a negative
    ``bonus`` entry, written before any chargeback of paid money, which may take the
    balance below zero truthfully. None when the deposit had no bonus credited."""
    if current.bonus_entry_id is None:
        return None
    return _move(
        current.user,
        LedgerEntry.Kind.BONUS,
        -current.bonus_micros,
        allow_negative=True,
        by_staff=True,
        memo=memo[:255],
    )


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
