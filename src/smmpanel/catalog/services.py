"""Writes for the catalog. Every public change leaves a service update row."""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction

from smmpanel.audit.services import audit
from smmpanel.catalog.models import Category, CustomRate, Platform, Service, ServiceUpdate
from smmpanel.money import div_round_half_up, format_amount

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


def set_custom_rate(
    user,
    service: Service | None,
    *,
    rate_micros: int | None = None,
    discount_bp: int | None = None,
    created_by=None,
) -> CustomRate:
    """Give ``user`` their own price for ``service`` (None: every service), replacing the
    rule they had there: a fixed ``rate_micros`` per 1000 (one service only) or a
    ``discount_bp`` in basis points (1..10000). Orders placed afterwards pay it (a
    customer's first own price reaches other processes within ``CATALOG_CACHE_SECONDS``,
    see ``price_rule_owners``); orders already placed keep their charge. Raises
    ``ValueError`` for a rule that is not one.
    """
    if (rate_micros is None) == (discount_bp is None):
        raise ValueError("give either a rate or a discount")
    if rate_micros is not None and service is None:
        raise ValueError("a fixed rate needs a service; use a discount for every service")
    if rate_micros is not None and rate_micros < 0:
        raise ValueError("the rate must not be negative")
    if discount_bp is not None and not 0 < discount_bp <= 10000:
        raise ValueError("the discount must be more than 0% and at most 100%")
    with transaction.atomic():
        rule, _ = CustomRate.objects.update_or_create(
            user=user,
            service=service,
            defaults={
                "rate_micros": rate_micros,
                "discount_bp": discount_bp,
                "created_by": created_by,
            },
        )
    return rule


def remove_custom_rate(rule: CustomRate) -> None:
    """Drop a customer's own price: the list rate applies to their next orders."""
    CustomRate.objects.filter(pk=rule.pk).delete()


# --- staff actions: each one audited; public changes also land on the Updates page ------

# Fields whose old and new values are quoted in the audit log (others: by name only).
_AUDIT_VALUES = {
    "rate_micros": format_amount,
    "min_quantity": str,
    "max_quantity": str,
    "active": str,
    "refill": str,
    "refill_days": str,
    "cancel": str,
    "dripfeed": str,
    "type": str,
    "link_format": str,
    "category_id": str,
}


def _audit_staff(action: str, *, actor, reason: str, **refs: Any) -> None:
    audit(action, actor=actor, reason=reason, outcome="update", **refs)


def describe_changes(before: dict[str, Any], after: dict[str, Any]) -> str:
    """``rate_micros 0.90 → 0.99; name`` — what a staff change did, for the audit log."""
    parts = []
    for field, new in after.items():
        show = _AUDIT_VALUES.get(field)
        parts.append(f"{field} {show(before[field])} → {show(new)}" if show else field)
    return "; ".join(parts)


def staff_create_service(category: Category, *, actor, **fields: Any) -> Service:
    """Create a service on behalf of staff: announced on the Updates page and audited."""
    with transaction.atomic():
        service = create_service(category, **fields)
        _audit_staff(
            "service.create",
            actor=actor,
            reason=f"service {service.pk} created: {service.name}",
            service=service.pk,
        )
    return service


def staff_update_service(
    service: Service, *, actor, note: str = "", **changes: Any
) -> list[ServiceUpdate]:
    """Change a service on behalf of staff. Public changes (rate, limits, refill, enabled)
    become service updates; every change is audited. Unchanged fields are ignored."""
    changed = {f: v for f, v in changes.items() if getattr(service, f) != v}
    if not changed:
        return []
    before = {f: getattr(service, f) for f in changed}
    with transaction.atomic():
        updates = update_service(service, **changed)
        reason = describe_changes(before, changed)
        _audit_staff(
            "service.update",
            actor=actor,
            reason=f"{note}: {reason}" if note else reason,
            service=service.pk,
        )
    return updates


def set_service_active(service: Service, active: bool, *, actor) -> list[ServiceUpdate]:
    """Enable or disable a service (a public change, audited)."""
    return staff_update_service(service, actor=actor, active=active)


def scale_rate(rate_micros: int, percent: Decimal) -> int:
    """``rate × (100 + percent) / 100`` rounded half-up to a micro; ``percent`` has at most
    two decimals and is above -100."""
    basis_points = Decimal(percent) * 100
    if basis_points != basis_points.to_integral_value():
        raise ValueError("a percentage has at most two decimals")
    if basis_points <= -10_000:
        raise ValueError("a price cannot fall by 100 % or more")
    return div_round_half_up(rate_micros * (10_000 + int(basis_points)), 10_000)


def change_rates_by_percent(
    services: Iterable[Service], percent: Decimal, *, actor, note: str = ""
) -> list[tuple[Service, int, int]]:
    """Raise (or, negative, lower) the rate of each service by ``percent``, rounded half-up
    to a micro. All or nothing; each change is a public rate update and audited.
    Returns (service, old rate, new rate) for the services whose rate changed."""
    label = f"bulk {percent:+} %" + (f" ({note})" if note else "")
    changed = []
    with transaction.atomic():
        for service in services:
            old = service.rate_micros
            new = scale_rate(old, percent)
            if new != old:
                staff_update_service(service, actor=actor, note=label, rate_micros=new)
                changed.append((service, old, new))
    return changed


def _swap_positions(rows: list[tuple[int, int]], pk: int, direction: str) -> dict[int, int]:
    """New positions ``{pk: position}`` after moving ``pk`` one place up or down among
    ``rows`` (pk, position) in their current order; only rows whose position changes."""
    order = [row_pk for row_pk, _ in rows]
    i = order.index(pk)
    j = i - 1 if direction == "up" else i + 1
    if direction not in ("up", "down") or not 0 <= j < len(order):
        return {}
    order[i], order[j] = order[j], order[i]
    current = dict(rows)
    return {row_pk: n for n, row_pk in enumerate(order) if current[row_pk] != n}


def move_service(service: Service, direction: str, *, actor) -> bool:
    """Move a service one place ``up`` or ``down`` within its category (positions are
    renumbered 0, 1, 2… on the way); audited. False if it was already at that end."""
    with transaction.atomic():
        rows = list(
            Service.objects.filter(category_id=service.category_id)
            .order_by("position", "id")
            .values_list("pk", "position")
        )
        moves = _swap_positions(rows, service.pk, direction)
        if not moves:
            return False
        Service.objects.bulk_update(
            [Service(pk=pk, position=n) for pk, n in moves.items()], ["position"]
        )
        _audit_staff(
            "service.move",
            actor=actor,
            reason=f"service {service.pk} moved {direction}",
            service=service.pk,
        )
    return True


def move_category(category: Category, direction: str, *, actor) -> bool:
    """Move a category one place ``up`` or ``down`` within its platform; audited."""
    with transaction.atomic():
        rows = list(
            Category.objects.filter(platform_id=category.platform_id)
            .order_by("position", "name", "id")
            .values_list("pk", "position")
        )
        moves = _swap_positions(rows, category.pk, direction)
        if not moves:
            return False
        Category.objects.bulk_update(
            [Category(pk=pk, position=n) for pk, n in moves.items()], ["position"]
        )
        _audit_staff(
            "category.move",
            actor=actor,
            reason=f"category {category.pk} ({category.name}) moved {direction}",
            category=category.pk,
        )
    return True


def create_category(platform_name: str, name: str, *, actor) -> Category:
    """Add a category (and its platform if new); audited. ``ValueError`` if it exists."""
    platform_name, name = platform_name.strip(), name.strip()
    if Category.objects.filter(platform__name=platform_name, name=name).exists():
        raise ValueError(f"category {name} already exists on {platform_name}")
    with transaction.atomic():
        category = get_or_create_category(platform_name, name)
        last = Category.objects.filter(platform=category.platform).exclude(pk=category.pk)
        category.position = 1 + max(last.values_list("position", flat=True), default=-1)
        category.save(update_fields=["position"])
        _audit_staff(
            "category.create",
            actor=actor,
            reason=f"category {category.pk} created: {platform_name} / {name}",
            category=category.pk,
        )
    return category


def update_category(category: Category, *, actor, platform_name: str, name: str) -> Category:
    """Rename a category or move it to another platform (created if new); audited."""
    from django.utils.text import slugify

    platform_name, name = platform_name.strip(), name.strip()
    before = f"{category.platform.name} / {category.name}"
    with transaction.atomic():
        platform, _ = Platform.objects.get_or_create(
            name=platform_name, defaults={"slug": slugify(platform_name) or "platform"}
        )
        taken = Category.objects.filter(platform=platform, name=name).exclude(pk=category.pk)
        if taken.exists():
            raise ValueError(f"category {name} already exists on {platform_name}")
        category.platform, category.name = platform, name
        category.save(update_fields=["platform", "name"])
        _audit_staff(
            "category.update",
            actor=actor,
            reason=f"category {category.pk}: {before} → {platform_name} / {name}",
            category=category.pk,
        )
    return category
