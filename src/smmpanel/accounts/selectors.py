"""Reads for users and API keys."""

from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.db import connection
from django.db.models import Q

from smmpanel.accounts import key_format
from smmpanel.accounts.models import ApiKey, User
from smmpanel.compiled_sql import CompiledQuery
from smmpanel.query_plans import planned_for_values

# Every API request starts here: compiled once (see ``compiled_sql``).
_ACTIVE_KEY = CompiledQuery(
    lambda digest: (
        ApiKey.objects.select_related("user", "user__wallet")
        .filter(key_hash=digest, revoked_at__isnull=True, user__is_active=True)
        .order_by("pk")[:1]
    ),
    digest=str,
)


def api_key_for(plaintext: str) -> ApiKey | None:
    """The active key matching ``plaintext`` (with its user and the user's wallet, read
    in the same query), or None."""
    if not plaintext or not key_format.is_well_formed(plaintext):
        return None
    return _ACTIVE_KEY.first(digest=key_format.digest(plaintext))


def api_keys_of(user: User) -> list[ApiKey]:
    return list(ApiKey.objects.filter(user=user))


MAX_USER_SEARCH = 200
MAX_NAME_MATCHES = 5000


@dataclass(frozen=True)
class UserPage:
    """One keyset page of users, newest first; ``next_before`` continues it (or None)."""

    users: list[User]
    next_before: int | None


@planned_for_values
def search_users(query: str = "", before: int | None = None, size: int = 50) -> UserPage:
    """Users whose email or name contains ``query`` (any case, Ukrainian too), or whose id
    it is (``123`` or ``#123``); newest first, keyset-paginated by id below ``before``.

    SQLite folds case in ASCII only, so a non-ASCII query is matched on the stored
    lower-case email in SQL and on names with ``casefold()`` over the users that have a
    name; PostgreSQL folds Unicode case itself.
    """
    rows = User.objects.select_related("wallet").order_by("-id")
    if before is not None:
        rows = rows.filter(pk__lt=before)
    needle = " ".join(str(query or "").split())[:MAX_USER_SEARCH]
    if needle:
        rows = rows.filter(_user_match(needle))
    found = list(rows[: size + 1])
    return UserPage(found[:size], found[size - 1].pk if len(found) > size else None)


def _user_match(needle: str) -> Q:
    digits = needle.removeprefix("#")
    is_id = digits.isascii() and digits.isdigit() and len(digits) <= 18
    match = Q(pk=int(digits)) if is_id else Q()
    if needle.isascii() or connection.vendor == "postgresql":
        return match | Q(email__icontains=needle) | Q(name__icontains=needle)
    folded = needle.casefold()
    names = User.objects.exclude(name="").values_list("pk", "name")
    named = [pk for pk, name in names.iterator(chunk_size=2000) if folded in name.casefold()]
    named = named[:MAX_NAME_MATCHES]
    return match | Q(email__contains=needle.lower()) | Q(pk__in=named)


def user_by_id(user_id: object) -> User | None:
    """The user with this id (with wallet), or None for a missing or malformed id."""
    text = str(user_id or "").strip()
    if not (text.isascii() and text.isdigit() and 0 < len(text) <= 18):
        return None
    return User.objects.select_related("wallet").filter(pk=int(text)).first()


def has_totp_by_email(email: str) -> bool:
    """Whether the account signing in with ``email`` has a TOTP authenticator (False for
    an unknown address): its password alone opens nothing."""
    from_email = User.objects.filter(email__iexact=email.strip())
    return Authenticator.objects.filter(user__in=from_email, type=Authenticator.Type.TOTP).exists()
