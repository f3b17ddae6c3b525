"""Reads for money."""

from dataclasses import dataclass

from django.db import connection
from django.db.models import BigIntegerField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from smmpanel.billing import gateways
from smmpanel.billing.models import DepositRequest, LedgerEntry, Wallet


@dataclass(frozen=True)
class LedgerMismatch:
    user_id: int
    email: str
    balance_micros: int
    ledger_micros: int


@dataclass(frozen=True)
class WalletState:
    """What a wallet allows: its balance and whether it is under balance review."""

    balance_micros: int
    frozen: bool


def wallet_state(user, *, lock: bool = False) -> WalletState:
    """The user's ``WalletState``; ``lock``: with the wallet row locked until the caller's
    transaction ends, where the database has row locks (``billing.services``)."""
    wallets = Wallet.objects.filter(user=user)
    if lock and connection.features.has_select_for_update:
        wallets = wallets.select_for_update()
    row = wallets.values_list("balance_micros", "frozen").first()
    if row is None:
        raise Wallet.DoesNotExist(f"user {user.pk} has no wallet")
    return WalletState(*row)


def balance_of(user) -> int:
    """The user's balance in micros (the cached wallet column)."""
    return Wallet.objects.values_list("balance_micros", flat=True).get(user=user)


def ledger_mismatches() -> list[LedgerMismatch]:
    """Every wallet whose balance differs from the sum of its ledger entries.

    Each comparison is one SQL statement, so it sees one snapshot of the database:
    an order committed while the audit runs cannot look like a mismatch.
    """
    ledger_sum = (
        LedgerEntry.objects.filter(user=OuterRef("user"))
        .order_by()
        .values("user")
        .annotate(total=Sum("amount_micros"))
        .values("total")
    )
    mismatches = [
        LedgerMismatch(user_id, email, balance, total)
        for user_id, email, balance, total in Wallet.objects.annotate(
            ledger=Coalesce(Subquery(ledger_sum), Value(0), output_field=BigIntegerField())
        )
        .exclude(balance_micros=F("ledger"))
        .values_list("user_id", "user__email", "balance_micros", "ledger")
    ]
    orphans = (
        LedgerEntry.objects.exclude(user__wallet__isnull=False)
        .values("user_id")
        .annotate(total=Sum("amount_micros"))
        .values_list("user_id", "total")
    )
    mismatches += [LedgerMismatch(user_id, "", 0, total) for user_id, total in orphans]
    return mismatches


def entries_of(user, limit: int = 100) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(user=user)[:limit])


@dataclass(frozen=True)
class LedgerPage:
    """One page of a user's ledger, newest first; ``next_before`` continues it (or None)."""

    entries: list[LedgerEntry]
    next_before: int | None


def cursor(value: object) -> int | None:
    """A keyset cursor from a query string (``?before=123``); None when absent or bad."""
    text = str(value or "").strip()
    if text.isascii() and text.isdigit() and 0 < len(text) <= 18:
        return int(text)
    return None


def ledger_page(user, before: int | None = None, size: int = 25) -> LedgerPage:
    """The user's ledger entries with id below ``before``, newest first (keyset pagination:
    as fast on page 1000 as on page 1, via the ``ledger_user_recent`` index)."""
    rows = LedgerEntry.objects.filter(user=user).select_related("deposit", "bonus_of")
    if before is not None:
        rows = rows.filter(pk__lt=before)
    entries = list(rows.order_by("-id")[: size + 1])
    more = len(entries) > size
    entries = entries[:size]
    return LedgerPage(entries, entries[-1].pk if more else None)


def deposits_of(user, limit: int = 20) -> list[DepositRequest]:
    """The user's most recent deposit requests, newest first."""
    return list(DepositRequest.objects.filter(user=user).order_by("-id")[:limit])


def deposit_of(user, reference: str) -> DepositRequest | None:
    """The user's deposit with ``reference`` (None for anyone else's)."""
    return (
        DepositRequest.objects.filter(user=user, reference=str(reference)[:16])
        .select_related("ledger_entry", "bonus_entry")
        .first()
    )


def pending_deposits(limit: int = 200) -> list[DepositRequest]:
    """Deposits waiting for staff, oldest first: transfers staff confirm, and payments held
    for review. A card or crypto payment still pending is its gateway's to settle."""
    by_staff = [g.code for g in gateways.all_gateways() if g.staff_confirms]
    return list(
        DepositRequest.objects.filter(
            Q(status=DepositRequest.Status.PENDING, gateway__in=by_staff)
            | Q(status=DepositRequest.Status.HELD)
        )
        .select_related("user")
        .order_by("id")[:limit]
    )


def decided_deposits(limit: int = 50) -> list[DepositRequest]:
    """The most recently decided deposits, for staff (chargebacks start from here)."""
    return list(
        DepositRequest.objects.exclude(
            status__in=[DepositRequest.Status.PENDING, DepositRequest.Status.HELD]
        )
        .select_related("user", "decided_by")
        .order_by("-decided_at", "-id")[:limit]
    )


# Memos the ledger itself writes (billing.services.refund_order's callers, the release of
# a held credit); anything else in a memo is what staff or the operator typed.
_HELD_SUFFIX = "(held during balance review)"


def entry_details(entry: LedgerEntry) -> str:
    """What a ledger entry was for, in the active language, built from its kind and what
    it is linked to (order, deposit request), never from its memo: the memo is English
    written by the code or typed by staff, and a customer page shows the panel's words."""
    order_id = entry.order_id
    if entry.kind == LedgerEntry.Kind.CHARGE and order_id:
        text = _("Order %(id)s") % {"id": order_id}
    elif entry.kind == LedgerEntry.Kind.REFUND and order_id:
        if entry.memo.startswith("partial"):
            text = _("Order %(id)s · refund of the undelivered part") % {"id": order_id}
        elif entry.memo.startswith("canceled"):
            text = _("Order %(id)s · refund of the canceled order") % {"id": order_id}
        else:
            text = _("Order %(id)s · refund") % {"id": order_id}
    elif entry.kind == LedgerEntry.Kind.DEPOSIT:
        request = getattr(entry, "deposit", None)  # the DepositRequest it credits, if any
        if request is not None:
            text = _("Payment %(reference)s · %(method)s") % {
                "reference": request.reference,
                "method": request.gateway_name,
            }
        else:
            text = _("Funds added by staff")
    elif entry.kind == LedgerEntry.Kind.BONUS:
        request = getattr(entry, "bonus_of", None)
        if entry.amount_micros < 0:
            text = _("Deposit bonus taken back")
        elif request is not None:
            text = _("Bonus for payment %(reference)s") % {"reference": request.reference}
        else:
            text = _("Deposit bonus")
    elif entry.kind == LedgerEntry.Kind.ADJUSTMENT:
        text = _("Balance corrected by staff")
    elif entry.kind == LedgerEntry.Kind.CHARGEBACK:
        text = _("A payment taken back through the bank (chargeback)")
    else:
        text = _("Order %(id)s") % {"id": order_id} if order_id else ""
    if entry.memo.endswith(_HELD_SUFFIX):
        text = _("%(details)s · credited after the balance review") % {"details": text}
    return text
