"""The shape of an API key: recognisable prefix, ≥128 random bits, a checksum.

``smmk_`` + 32 base62 characters of randomness (~190 bits) + 6 base62 characters of
CRC32 checksum. The prefix lets secret scanners find leaked keys; the checksum lets
them (and us) reject typos without a database lookup. At rest only an HMAC-SHA256
keyed with ``API_KEY_PEPPER`` is kept.
"""

import hashlib
import hmac
import secrets
import string
import zlib

from django.conf import settings

PREFIX = "smmk_"
_ALPHABET = string.digits + string.ascii_letters
_BODY_LEN = 32
_CHECK_LEN = 6


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), _CHECK_LEN)


def generate() -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(_BODY_LEN))
    return f"{PREFIX}{body}{_checksum(body)}"


def is_well_formed(key: str) -> bool:
    if not key.startswith(PREFIX) or len(key) != len(PREFIX) + _BODY_LEN + _CHECK_LEN:
        return False
    body, check = key[len(PREFIX) : -_CHECK_LEN], key[-_CHECK_LEN:]
    if any(c not in _ALPHABET for c in body):
        return False
    return hmac.compare_digest(check, _checksum(body))


def digest(key: str) -> str:
    return hmac.new(settings.API_KEY_PEPPER.encode(), key.encode(), hashlib.sha256).hexdigest()


def display_prefix(key: str) -> str:
    return key[: len(PREFIX) + 4]
