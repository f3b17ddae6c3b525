"""Provider API keys at rest: Fernet-encrypted with a key derived from settings.

Staff never see a provider key back in full; only its last four characters.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    secret = getattr(settings, "PROVIDER_KEY_SECRET", "") or settings.SECRET_KEY
    digest = hashlib.sha256(f"smmpanel-provider-key:{secret}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def unseal(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError(
            "provider key cannot be decrypted: was PROVIDER_KEY_SECRET changed?"
        ) from exc
