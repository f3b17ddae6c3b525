"""Gateway keys and webhook secrets at rest: one JSON object per gateway, sealed
(``smmpanel.sealing``) under ``SECRET_KEY`` and its fallbacks with a kind of its own, so a
leaked database dump leaks no key that can take or fake a payment."""

import json

from smmpanel.sealing import InvalidToken, fernet_for, secrets_for

KIND = "smmpanel-payment-gateway"


def seal(values: dict[str, str]) -> str:
    """``values`` (secret name → text) sealed for storage; "" when there are none."""
    kept = {name: text for name, text in values.items() if text}
    if not kept:
        return ""
    return fernet_for(KIND, secrets_for()).encrypt(json.dumps(kept).encode()).decode()


def unseal(stored: str) -> dict[str, str]:
    """The secrets of a sealed value ({} when none is stored)."""
    if not stored:
        return {}
    try:
        return json.loads(fernet_for(KIND, secrets_for()).decrypt(stored.encode()))
    except InvalidToken:
        raise ValueError(
            "a stored gateway secret cannot be opened: SECRET_KEY was changed without the "
            "old one in SECRET_KEY_FALLBACKS"
        ) from None
