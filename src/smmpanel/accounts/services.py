"""Writes for users and API keys."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from smmpanel.accounts import key_format
from smmpanel.accounts.models import ApiKey, User
from smmpanel.notifications.services import notify

# How stale last_used_at may get before a request refreshes it: one write per key per
# minute instead of one per request keeps the hot API path read-only.
LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    plaintext: str


def create_user(
    email: str,
    password: str | None,
    *,
    role: str = User.Role.CUSTOMER,
    language: str = "en",
) -> User:
    """Create a user (billing opens their empty wallet in the same transaction). Staff
    role also grants Django staff access."""
    with transaction.atomic():
        user = User.objects.create_user(
            email=email,
            password=password,
            role=role,
            language=language,
            is_staff=role == User.Role.STAFF,
            staff_role=User.StaffRole.OWNER if role == User.Role.STAFF else "",
        )
    return user


def issue_api_key(user: User, name: str = "default") -> IssuedKey:
    """Create a new API key for ``user``; the plaintext is returned here and never again."""
    plaintext = key_format.generate()
    api_key = ApiKey.objects.create(
        user=user,
        name=name[:100] or "default",
        key_hash=key_format.digest(plaintext),
        prefix=key_format.display_prefix(plaintext),
        last4=plaintext[-4:],
    )
    notify(user, "api_key_created", name=api_key.name, prefix=api_key.prefix)
    return IssuedKey(api_key=api_key, plaintext=plaintext)


def revoke_api_key(api_key: ApiKey) -> None:
    """Revoke a key at once; requests with it then answer ``Invalid API key``."""
    revoked = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        notify(api_key.user, "api_key_revoked", name=api_key.name, prefix=api_key.prefix)


def record_key_use(api_key: ApiKey, ip: str | None) -> None:
    """Keep last-used time and IP, writing at most once per ``LAST_USED_RESOLUTION``."""
    now = timezone.now()
    stale = api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION
    if stale or (ip and ip != api_key.last_used_ip):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now, last_used_ip=ip)
        api_key.last_used_at, api_key.last_used_ip = now, ip


def update_preferences(user: User, *, language: str, timezone: str) -> None:
    """Save the user's language and time zone."""
    User.objects.filter(pk=user.pk).update(language=language, timezone=timezone)
    user.language, user.timezone = language, timezone
