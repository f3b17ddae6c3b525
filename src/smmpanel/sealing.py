"""Secrets the panel must read back (a provider's API key, a user's TOTP secret), sealed
at rest with Fernet under a key of their own kind, derived from a secret setting.

Sealed under the first secret given; read under any of them, so a rotated
``SECRET_KEY`` with the old one in ``SECRET_KEY_FALLBACKS`` still opens what the old one
sealed.
"""

import base64
import hashlib
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

__all__ = ["InvalidToken", "fernet_for", "secrets_for"]


def secrets_for(own_setting: str = "") -> list[str]:
    """The secrets to seal with: ``own_setting`` alone when it is set (a kind with a key
    of its own), else ``SECRET_KEY`` and then its fallbacks."""
    if own_setting:
        return [own_setting]
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def fernet_for(kind: str, secrets: Sequence[str]) -> MultiFernet:
    """Fernet for secrets of ``kind`` (a name no other kind uses), sealing under
    ``secrets[0]`` and opening under any of ``secrets``."""
    keys = []
    for secret in secrets:
        digest = hashlib.sha256(f"{kind}:{secret}".encode()).digest()
        keys.append(Fernet(base64.urlsafe_b64encode(digest)))
    return MultiFernet(keys)
