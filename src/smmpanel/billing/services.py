"""Writes for money. Every movement is one ledger entry plus one conditional UPDATE
of the wallet, in the caller's transaction (or a new one)."""

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from smmpanel.billing.models import DepositRequest, HeldCredit, LedgerEntry, Wallet
from smmpanel.billing.selectors import WalletState, wallet_state
from smmpanel.notifications.services import raise_alert


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
                link_credit(deposit_request, entry)
    return entries


def link_credit(deposit_request: DepositRequest, credit: LedgerEntry | HeldCredit) -> None:
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
    require_positive(amount_micros)
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
    require_positive(amount_micros)
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


def require_positive(amount_micros: int) -> None:
    if amount_micros <= 0:
        raise ValueError("amount must be positive")


def credit_bonus(current: DepositRequest, actor) -> None:
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
