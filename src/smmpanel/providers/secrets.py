"""Provider API keys at rest: sealed (``smmpanel.sealing``) under ``PROVIDER_KEY_SECRET``,
or ``SECRET_KEY`` and its fallbacks.

Staff never see a provider key back in full; only its last four characters.
"""

from django.conf import settings

from smmpanel.sealing import InvalidToken, fernet_for, secrets_for

KIND = "smmpanel-provider-key"


def _fernet():
    return fernet_for(KIND, secrets_for(getattr(settings, "PROVIDER_KEY_SECRET", "")))


def seal(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def unseal(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError(
            "provider key cannot be decrypted: was PROVIDER_KEY_SECRET changed?"
        ) from exc
