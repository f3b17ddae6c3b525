"""The owner's payment settings: gateways and deposit bonus tiers, each change audited
with the owner's reason in the same transaction (key values never enter the record)."""

from django.db import transaction

from smmpanel.audit.services import audit
from smmpanel.billing import gateway_settings
from smmpanel.billing.models import BonusTier
from smmpanel.money import format_amount


def add_bonus_tier(actor, from_micros: int, percent_bp: int, *, reason: str) -> BonusTier:
    """Add (or replace) the bonus tier starting at ``from_micros``."""
    with transaction.atomic():
        tier = gateway_settings.add_bonus_tier(from_micros, percent_bp)
        shown = f"from {format_amount(from_micros)}: +{percent_bp / 100}%"
        audit("payments.bonus_tier.add", actor=actor, reason=reason, tier=shown)
    return tier


def remove_bonus_tier(actor, tier_id: int, *, reason: str) -> bool:
    """Remove a bonus tier; False (and no record) when it was already gone."""
    with transaction.atomic():
        removed = gateway_settings.remove_bonus_tier(tier_id)
        if removed:
            audit("payments.bonus_tier.remove", actor=actor, reason=reason, tier=str(tier_id))
    return removed


def configure_gateway(
    actor, code: str, values: dict, new_secrets: dict[str, str], *, reason: str
) -> list[str]:
    """Save a gateway's settings; the names of the fields that changed (audited by name)."""
    with transaction.atomic():
        changed = gateway_settings.save_gateway_settings(code, values, new_secrets)
        if changed:
            audit(
                "payments.gateway",
                actor=actor,
                reason=reason,
                gateway=code,
                fields=", ".join(changed),
            )
    return changed
