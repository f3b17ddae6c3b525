from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from smmpanel.accounts.models import User
from smmpanel.accounts.services import create_user, issue_api_key
from smmpanel.billing.services import deposit
from smmpanel.money import InvalidAmount, to_micros


class Command(BaseCommand):
    help = "Create a user; with --api-key the new key is printed alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--password", default=None, help="omit for a user who cannot log in")
        parser.add_argument("--balance", default=None, help="opening deposit, e.g. 100.50")
        role = parser.add_mutually_exclusive_group()
        role.add_argument("--reseller", action="store_true")
        role.add_argument("--staff", action="store_true")
        parser.add_argument("--api-key", action="store_true", help="issue an API key")

    def handle(self, email, password, balance, reseller, staff, api_key, **options):
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"a user with email {email} already exists")
        try:
            amount = to_micros(balance) if balance is not None else 0
        except InvalidAmount as exc:
            raise CommandError(f"--balance: {exc}") from None
        if amount < 0:
            raise CommandError("--balance must not be negative")
        role = User.Role.STAFF if staff else User.Role.RESELLER if reseller else User.Role.CUSTOMER
        with transaction.atomic():
            user = create_user(email, password, role=role)
            if staff:
                User.objects.filter(pk=user.pk).update(is_superuser=True)
            if amount:
                deposit(user, amount, memo="opening balance (createuser)")
            key = issue_api_key(user, "createuser") if api_key else None
        self.stdout.write(f"created {role} {user.email} (id {user.pk})")
        if key:
            self.stdout.write(key.plaintext)
