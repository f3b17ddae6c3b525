"""Reads for users and API keys."""

from smmpanel.accounts import key_format
from smmpanel.accounts.models import ApiKey, User


def api_key_for(plaintext: str) -> ApiKey | None:
    """The active key matching ``plaintext`` (with its user), or None."""
    if not plaintext or not key_format.is_well_formed(plaintext):
        return None
    return (
        ApiKey.objects.select_related("user")
        .filter(
            key_hash=key_format.digest(plaintext),
            revoked_at__isnull=True,
            user__is_active=True,
        )
        .first()
    )


def api_keys_of(user: User) -> list[ApiKey]:
    return list(ApiKey.objects.filter(user=user))
