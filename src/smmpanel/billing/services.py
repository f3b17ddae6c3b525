"""Writes for money. Every movement is one ledger entry plus one conditional UPDATE
of the wallet, in the caller's transaction (or a new one)."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from smmpanel.billing.models import LedgerEntry, Wallet


class InsufficientFunds(Exception):
    """The wallet cannot cover the debit."""


class AlreadySettled(Exception):
    """This order already has the ledger entry being written (charge or refund)."""


def open_wallet(user) -> Wallet:
    """Create the user's empty wallet in the panel's currency (idempotent)."""
    wallet, _ = Wallet.objects.get_or_create(user=user, defaults={"currency": settings.CURRENCY})
    return wallet


def _move(user, kind: str, amount_micros: int, *, allow_negative: bool, **cause) -> LedgerEntry:
    """Apply a signed movement atomically: the wallet UPDATE and its ledger entry.

    Debits are conditional on the balance covering them (unless ``allow_negative``:
    chargebacks and staff corrections may take a balance below zero, truthfully).
    """
    with transaction.atomic():
        wallets = Wallet.objects.filter(user=user)
        if amount_micros < 0 and not allow_negative:
            wallets = wallets.filter(balance_micros__gte=-amount_micros)
        if wallets.update(balance_micros=F("balance_micros") + amount_micros) != 1:
            if not Wallet.objects.filter(user=user).exists():
                raise Wallet.DoesNotExist(f"user {user.pk} has no wallet")
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


def deposit(user, amount_micros: int, *, memo: str = "", created_by=None) -> LedgerEntry:
    """Credit a confirmed payment."""
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


def refund_order(order, amount_micros: int, memo: str = "") -> LedgerEntry:
    """Credit a refund for ``order``; at most one refund entry per order exists."""
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
        memo=memo,
        created_by=created_by,
    )


def _positive(amount_micros: int) -> None:
    if amount_micros <= 0:
        raise ValueError("amount must be positive")
