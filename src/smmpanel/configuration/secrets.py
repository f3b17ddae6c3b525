"""The SMTP password and the Telegram bot token at rest: sealed (``smmpanel.sealing``)
under ``SECRET_KEY`` and its fallbacks, with a kind of their own."""

from smmpanel.sealing import InvalidToken, fernet_for, secrets_for

KIND = "smmpanel-panel-settings"


def seal(text: str) -> str:
    """``text`` sealed for storage."""
    return fernet_for(KIND, secrets_for()).encrypt(text.encode()).decode()


def unseal(stored: str) -> str:
    """The plain secret of a sealed value ("" when none is stored)."""
    if not stored:
        return ""
    try:
        return fernet_for(KIND, secrets_for()).decrypt(stored.encode()).decode()
    except InvalidToken:
        raise ValueError(
            "a stored panel secret cannot be opened: SECRET_KEY was changed without the old "
            "one in SECRET_KEY_FALLBACKS"
        ) from None
