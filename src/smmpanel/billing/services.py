"""Writes for money. Every movement is one ledger entry plus one conditional UPDATE
of the wallet, in the caller's transaction (or a new one)."""

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from smmpanel.billing.models import HeldCredit, LedgerEntry, Wallet


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


def _move(
    user, kind: str, amount_micros: int, *, allow_negative: bool, by_staff: bool = False, **cause
) -> LedgerEntry | HeldCredit:
    """Apply a signed movement atomically: the wallet UPDATE and its ledger entry.

    Debits are conditional on the balance covering them (unless ``allow_negative``:
    chargebacks and staff corrections may take a balance below zero, truthfully).
    A frozen wallet (balance review) moves only ``by_staff``; a credit that arrives
    meanwhile is held and written when the review ends.
    """
    with transaction.atomic():
        wallets = Wallet.objects.filter(user=user)
        if not by_staff:
            wallets = wallets.filter(frozen=False)
        if amount_micros < 0 and not allow_negative:
            wallets = wallets.filter(balance_micros__gte=-amount_micros)
        if wallets.update(balance_micros=F("balance_micros") + amount_micros) != 1:
            frozen = Wallet.objects.filter(user=user).values_list("frozen", flat=True).first()
            if frozen is None:
                raise Wallet.DoesNotExist(f"user {user.pk} has no wallet")
            if frozen and not by_staff:
                if amount_micros > 0:
                    return _hold(user, kind, amount_micros, cause)
                raise BalanceFrozen()
            raise InsufficientFunds()
        balance = Wallet.objects.values_list("balance_micros", flat=True).get(user=user)
        try:
            with transaction.atomic():
                return LedgerEntry.objects.create(
                    user=user,
                    kind=kind,
                    amount_micros=amount_micros,
                    balance_after_micros=balance,
                    **cause,
                )
        except IntegrityError as exc:
            raise AlreadySettled(f"order {cause.get('order')} already has a {kind}") from exc


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
    """Write the credits held during a balance review to the ledger (review closed)."""
    entries = []
    with transaction.atomic():
        held = HeldCredit.objects.filter(user=user, released_at__isnull=True)
        for credit in held.select_for_update() if _locks() else held:
            entries.append(
                _move(
                    user,
                    credit.kind,
                    credit.amount_micros,
                    allow_negative=False,
                    order=credit.order,
                    memo=f"{credit.memo} (held during balance review)"[:255],
                )
            )
            HeldCredit.objects.filter(pk=credit.pk).update(released_at=timezone.now())
    return entries


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


def charge_order(order) -> LedgerEntry:
    """Debit an order's charge; raises ``InsufficientFunds`` and writes nothing if short."""
    return _move(
        order.user,
        LedgerEntry.Kind.CHARGE,
        -order.charge_micros,
        allow_negative=False,
        order=order,
        memo=f"order {order.pk}",
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
    return _move(
        user,
        LedgerEntry.Kind.CHARGEBACK,
        -amount_micros,
        allow_negative=True,
        by_staff=True,
        memo=memo,
        created_by=created_by,
    )


def _positive(amount_micros: int) -> None:
    if amount_micros <= 0:
        raise ValueError("amount must be positive")
