"""Reads for money."""

from dataclasses import dataclass

from django.db.models import Sum

from smmpanel.billing.models import LedgerEntry, Wallet


@dataclass(frozen=True)
class LedgerMismatch:
    user_id: int
    email: str
    balance_micros: int
    ledger_micros: int


def balance_of(user) -> int:
    """The user's balance in micros (the cached wallet column)."""
    return Wallet.objects.values_list("balance_micros", flat=True).get(user=user)


def ledger_mismatches() -> list[LedgerMismatch]:
    """Every wallet whose balance differs from the sum of its ledger entries."""
    sums = dict(
        LedgerEntry.objects.values("user_id")
        .annotate(total=Sum("amount_micros"))
        .values_list("user_id", "total")
    )
    mismatches = []
    for user_id, email, balance in Wallet.objects.values_list(
        "user_id", "user__email", "balance_micros"
    ).iterator(chunk_size=5000):
        total = sums.pop(user_id, 0) or 0
        if total != balance:
            mismatches.append(LedgerMismatch(user_id, email, balance, total))
    for user_id, total in sums.items():  # entries for a user with no wallet at all
        mismatches.append(LedgerMismatch(user_id, "", 0, total))
    return mismatches


def entries_of(user, limit: int = 100) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(user=user)[:limit])
