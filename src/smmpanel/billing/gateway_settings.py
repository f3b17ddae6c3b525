"""Writes of the owner's payment settings: per-gateway settings and deposit bonus tiers.
Staff views call these inside their audited transaction."""

from django.db import transaction

from smmpanel.billing import gateway_secrets, gateways
from smmpanel.billing.models import BonusTier, GatewaySettings

# The settings an owner edits, besides the secrets.
FIELDS = (
    "enabled",
    "position",
    "min_micros",
    "max_micros",
    "fee_percent_bp",
    "fee_fixed_micros",
    "fee_paid_by",
    "currency",
    "rate_micros",
)


def save_gateway_settings(code: str, values: dict, new_secrets: dict[str, str]) -> list[str]:
    """Store gateway ``code``'s settings; a secret given replaces the stored one, an empty
    one keeps it. Returns the names of what changed (never the secret values)."""
    if gateways.gateway_named(code) is None:
        raise ValueError(f"unknown gateway {code!r}")
    with transaction.atomic():
        row, created = GatewaySettings.objects.select_for_update().get_or_create(code=code)
        changed = [name for name in FIELDS if name in values and getattr(row, name) != values[name]]
        for name in changed:
            setattr(row, name, values[name])
        stored = gateway_secrets.unseal(row.secrets_sealed)
        replaced = [n for n, text in new_secrets.items() if text and stored.get(n) != text]
        if replaced:
            stored.update({n: new_secrets[n] for n in replaced})
            row.secrets_sealed = gateway_secrets.seal(stored)
        changed += replaced
        if changed or created:
            row.save()
    return changed


def clear_gateway_secret(code: str, name: str) -> bool:
    """Forget one stored secret of gateway ``code``; False when none was stored."""
    with transaction.atomic():
        row = GatewaySettings.objects.select_for_update().filter(code=code).first()
        stored = gateway_secrets.unseal(row.secrets_sealed) if row else {}
        if name not in stored:
            return False
        del stored[name]
        row.secrets_sealed = gateway_secrets.seal(stored)
        row.save(update_fields=["secrets_sealed", "updated_at"])
    return True


def add_bonus_tier(from_micros: int, percent_bp: int) -> BonusTier:
    """A bonus tier: from a deposit of ``from_micros``, ``percent_bp`` more (1% = 100);
    a tier at the same threshold is replaced."""
    if from_micros <= 0 or not 0 < percent_bp <= 10_000:
        raise ValueError("a bonus tier needs a positive threshold and 0.01–100 %")
    tier, _created = BonusTier.objects.update_or_create(
        from_micros=from_micros, defaults={"percent_bp": percent_bp}
    )
    return tier


def remove_bonus_tier(tier_id: int) -> bool:
    """Remove a bonus tier (deposits already priced keep their bonus)."""
    return BonusTier.objects.filter(pk=tier_id).delete()[0] == 1
