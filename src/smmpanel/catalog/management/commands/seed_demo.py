from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from smmpanel.accounts.models import ApiKey, User
from smmpanel.accounts.services import create_user, issue_api_key
from smmpanel.billing.services import deposit
from smmpanel.catalog.demo_catalog import DEMO_DESCRIPTION, DEMO_SERVICES
from smmpanel.catalog.models import Service
from smmpanel.catalog.service_types import type_named
from smmpanel.catalog.services import create_service, get_or_create_category
from smmpanel.money import to_micros

DEMO_EMAIL, DEMO_PASSWORD = "demo@example.com", "demo-password-2026"
STAFF_EMAIL, STAFF_PASSWORD = "admin@example.com", "admin-password-2026"


class Command(BaseCommand):
    help = "Load the demo catalog, a demo customer with balance and a staff user (idempotent)."

    def handle(self, **options):
        with transaction.atomic():
            created = self._catalog()
            customer = self._customer()
            self._staff()
            ApiKey.objects.filter(user=customer, name="demo", revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
            key = issue_api_key(customer, "demo")
        self.stdout.write(f"demo catalog: {Service.objects.count()} services ({created} new)")
        self.stdout.write(f"customer login: {DEMO_EMAIL} / {DEMO_PASSWORD}")
        self.stdout.write(f"staff login:    {STAFF_EMAIL} / {STAFF_PASSWORD}")
        self.stdout.write(f"demo API key:   {key.plaintext}")

    def _catalog(self) -> int:
        created = 0
        for position, row in enumerate(DEMO_SERVICES):
            (
                platform,
                category,
                name,
                type_name,
                rate,
                low,
                high,
                refill_days,
                cancel,
                drip,
                link_format,
                start_time,
                speed,
            ) = row
            if Service.objects.filter(name=name).exists():
                continue
            create_service(
                get_or_create_category(platform, category),
                name=name,
                type=type_named(type_name).slug,
                rate_micros=to_micros(rate),
                min_quantity=low,
                max_quantity=high,
                refill=refill_days is not None,
                refill_days=refill_days or 0,
                cancel=cancel,
                dripfeed=drip,
                link_format=link_format,
                start_time=start_time,
                speed=speed,
                description=DEMO_DESCRIPTION,
                position=position,
            )
            created += 1
        return created

    def _customer(self) -> User:
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = create_user(DEMO_EMAIL, DEMO_PASSWORD, role=User.Role.RESELLER)
            deposit(user, to_micros("100.00"), memo="demo balance")
        return user

    def _staff(self) -> None:
        if not User.objects.filter(email=STAFF_EMAIL).exists():
            staff = create_user(STAFF_EMAIL, STAFF_PASSWORD, role=User.Role.STAFF)
            User.objects.filter(pk=staff.pk).update(is_superuser=True)
