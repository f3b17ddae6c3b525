"""Two-factor secrets at rest: a user's TOTP secret and recovery-code seed, sealed
(``smmpanel.sealing``) under ``SECRET_KEY`` and its fallbacks.

allauth stores them as they are unless its adapter seals them (``MFAAdapter``); in the
clear, a copy of the database would let anyone make a user's codes. A sealed value
starts with ``SEALED``; one without it was stored before sealing and is read as it is
(the migration ``accounts/0005`` seals those).
"""

from smmpanel.sealing import InvalidToken, fernet_for, secrets_for

KIND = "smmpanel-mfa-secret"
SEALED = "sealed:"
# The values of an allauth authenticator's ``data`` that hold secrets.
SECRET_FIELDS = ("secret", "seed")
SECRET_LISTS = ("migrated_codes",)


def seal(text: str) -> str:
    return SEALED + fernet_for(KIND, secrets_for()).encrypt(text.encode()).decode()


def unseal(stored: str) -> str:
    if not stored.startswith(SEALED):
        return stored  # stored before sealing
    try:
        return (
            fernet_for(KIND, secrets_for()).decrypt(stored.removeprefix(SEALED).encode()).decode()
        )
    except InvalidToken:
        raise ValueError(
            "a two-factor secret cannot be opened: SECRET_KEY was changed without the old "
            "one in SECRET_KEY_FALLBACKS"
        ) from None


def seal_stored(data: dict) -> dict:
    """An authenticator's ``data`` with every secret in it sealed (those already sealed
    are left as they are)."""
    return _each_secret(data, lambda v: v if v.startswith(SEALED) else seal(v))


def unseal_stored(data: dict) -> dict:
    """An authenticator's ``data`` as allauth stores it unsealed (going back)."""
    return _each_secret(data, unseal)


def _each_secret(data: dict, change) -> dict:
    changed = dict(data)
    for name in SECRET_FIELDS:
        if isinstance(changed.get(name), str):
            changed[name] = change(changed[name])
    for name in SECRET_LISTS:
        if isinstance(changed.get(name), list):
            changed[name] = [change(v) if isinstance(v, str) else v for v in changed[name]]
    return changed
