from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from smmpanel.billing.models import Wallet
from smmpanel.billing.selectors import ledger_mismatches
from smmpanel.money import format_amount


class Command(BaseCommand):
    help = "Prove every balance equals the sum of its ledger entries (exit 1 if not)."

    def handle(self, **options):
        try:
            mismatches = ledger_mismatches()
        except DatabaseError as exc:
            message = f"cannot read the ledger ({exc}); run `smmpanel migrate` first"
            raise CommandError(message) from None
        for m in mismatches:
            self.stderr.write(
                f"MISMATCH user {m.user_id} {m.email}: balance {format_amount(m.balance_micros)}"
                f" != ledger {format_amount(m.ledger_micros)}"
            )
        wallets = Wallet.objects.count()
        if mismatches:
            self.stderr.write(f"{len(mismatches)} of {wallets} accounts do not match the ledger")
            raise SystemExit(1)
        self.stdout.write(f"ledger OK: {wallets} accounts, every balance equals its entries")
