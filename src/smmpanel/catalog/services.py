"""Writes for the catalog. Every public change leaves a service update row."""

from typing import Any

from django.db import transaction

from smmpanel.billing.money import format_amount
from smmpanel.catalog.models import Category, Platform, Service, ServiceUpdate

# Which fields are public changes and how each is shown on the Updates page.
_TRACKED = {
    "rate_micros": (ServiceUpdate.Kind.RATE, format_amount),
    "min_quantity": (ServiceUpdate.Kind.MIN, str),
    "max_quantity": (ServiceUpdate.Kind.MAX, str),
}


def create_service(category: Category, **fields: Any) -> Service:
    """Create a service and announce it on the Updates page."""
    with transaction.atomic():
        service = Service(category=category, **fields)
        service.full_clean()
        service.save()
        ServiceUpdate.objects.create(
            service=service,
            kind=ServiceUpdate.Kind.CREATED,
            new_value=format_amount(service.rate_micros),
        )
    return service


def update_service(service: Service, **changes: Any) -> list[ServiceUpdate]:
    """Change a service's fields, recording each public change (rate, limits, refill, active)."""
    with transaction.atomic():
        current = Service.objects.select_for_update().get(pk=service.pk)
        updates = []
        refill_before = _refill_text(current.refill, current.refill_days)
        for field, new in changes.items():
            old = getattr(current, field)
            setattr(current, field, new)
            if old == new:
                continue
            if field in _TRACKED:
                kind, show = _TRACKED[field]
                updates.append(ServiceUpdate(kind=kind, old_value=show(old), new_value=show(new)))
            elif field in ("refill", "refill_days"):
                updates.append(
                    ServiceUpdate(
                        kind=ServiceUpdate.Kind.REFILL,
                        old_value=refill_before,
                        new_value=_refill_text(current.refill, current.refill_days),
                    )
                )
            elif field == "active":
                kind = ServiceUpdate.Kind.ENABLED if new else ServiceUpdate.Kind.DISABLED
                updates.append(ServiceUpdate(kind=kind))
        current.full_clean()
        current.save()
        updates = _merge_refill(updates)
        for update in updates:
            update.service = current
        ServiceUpdate.objects.bulk_create(updates)
    for field in changes:
        setattr(service, field, getattr(current, field))
    return updates


def _refill_text(refill: bool, days: int) -> str:
    if not refill:
        return "no refill"
    return f"{days} days" if days else "refill"


def _merge_refill(updates: list[ServiceUpdate]) -> list[ServiceUpdate]:
    """Changing refill and refill_days together is one public change, not two; and a
    period change of a service without refill is no public change at all."""
    refill = [u for u in updates if u.kind == ServiceUpdate.Kind.REFILL]
    others = [u for u in updates if u.kind != ServiceUpdate.Kind.REFILL]
    return others + [u for u in refill[-1:] if u.old_value != u.new_value]


def get_or_create_category(platform_name: str, category_name: str) -> Category:
    """The category ``category_name`` of platform ``platform_name``, created if missing."""
    from django.utils.text import slugify

    platform, _ = Platform.objects.get_or_create(
        name=platform_name, defaults={"slug": slugify(platform_name) or "platform"}
    )
    category, _ = Category.objects.get_or_create(platform=platform, name=category_name)
    return category
