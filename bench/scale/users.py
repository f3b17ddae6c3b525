"""The generated accounts.

**Users**: ``users`` accounts (``scale-000002@scale.example`` …) plus the *big user*
``scale-big@scale.example`` (a reseller with ``big_user_orders`` orders). Orders are
spread with a long tail (user k gets a share ~ 1/sqrt(k): the heaviest ordinary accounts
~44,000 orders, the median ~140, the lightest ~65); the heaviest 10% are resellers
(mostly API), the rest customers (mostly web). Passwords are unusable (``!…``):
benchmarks sign in with ``force_login`` or the API keys returned by ``fill`` (real keys
issued by ``accounts.services.issue_api_key`` for the big and the typical user). Every
reseller also has a key row with a random hash (nobody holds its plaintext), so the key
table has a realistic size. Every user has a wallet (``money.py``).

The generated accounts are written first: from then on a second fill refuses.
"""

from __future__ import annotations

from .sql import insert

SCALE_DOMAIN = "scale.example"
BIG_EMAIL = f"scale-big@{SCALE_DOMAIN}"
RESELLER_SHARE = 10  # the heaviest 1/10 of users are resellers


def user_email(n: int) -> str:
    """Email of generated user number ``n`` (1 is the big user)."""
    return BIG_EMAIL if n == 1 else f"scale-{n:06d}@{SCALE_DOMAIN}"


def typical_email(users: int) -> str:
    return user_email(max(2, users // 2))


def big_user_and_typical(users: int | None = None):
    """The big user and the typical user of a filled database (for other benchmarks)."""
    from smmpanel.accounts.models import User

    if users is None:
        users = User.objects.filter(email__endswith="@" + SCALE_DOMAIN).count()
    return User.objects.get(email=BIG_EMAIL), User.objects.get(email=typical_email(users))


def already_filled() -> bool:
    """Generated accounts exist: the database was filled, or a fill of it failed."""
    from smmpanel.accounts.models import User

    return User.objects.filter(email__endswith="@" + SCALE_DOMAIN).exists()


def resellers(users: int) -> int:
    """How many of ``users`` generated accounts (the big one included) are resellers."""
    return max(1, users // RESELLER_SHARE)


def insert_users(cur, params: dict) -> int:
    """The accounts, user number 1 (the big user) first; resellers lead."""
    from smmpanel.accounts.models import User

    return insert(
        cur,
        User,
        {
            "id": "%(u0)s::bigint + n - 1",
            "password": "'!' || md5('scale-password' || n::text)",  # unusable, as Django's
            "last_login": "NULL",
            "is_superuser": "false",
            "is_staff": "false",
            "is_active": "true",
            "date_joined": "%(start)s::timestamptz - (1 + mod(n, 90)) * interval '1 day'",
            "email": "CASE WHEN n = 1 THEN %(big_email)s"
            " ELSE 'scale-' || lpad(n::text, 6, '0') || %(at_domain)s END",
            "name": "''",
            "role": "CASE WHEN n <= %(resellers)s THEN 'reseller' ELSE 'customer' END",
            "staff_role": "''",
            "language": "CASE WHEN mod(n, 5) = 0 THEN 'uk' ELSE 'en' END",
            "timezone": "CASE WHEN mod(n, 5) = 0 THEN 'Europe/Kyiv' ELSE 'UTC' END",
        },
        "FROM generate_series(1, %(users)s) AS n",
        params,
    )


def insert_reseller_keys(cur, params: dict) -> int:
    """A key row with a random hash for every reseller but the big user."""
    from smmpanel.accounts.models import ApiKey

    return insert(
        cur,
        ApiKey,
        {
            "user": "%(u0)s::bigint + n - 1",
            "name": "'default'",
            "key_hash": "md5('scale-key-a' || n::text) || md5('scale-key-b' || n::text)",
            "prefix": "'smmk_' || substr(md5('scale-prefix' || n::text), 1, 4)",
            "last4": "substr(md5('scale-last4' || n::text), 1, 4)",
            "created_at": "%(start)s::timestamptz - mod(n, 60) * interval '1 day'",
            "revoked_at": "NULL",
            "last_used_at": "NULL",
            "last_used_ip": "NULL",
        },
        "FROM generate_series(2, %(resellers)s) AS n",
        params,
    )


def bench_accounts(users: int) -> dict:
    """Real API keys for the big and the typical user (``users`` counts the big one):
    the ``FillResult`` fields that name them."""
    from smmpanel.accounts.services import issue_api_key

    big, typical = big_user_and_typical(users)
    return {
        "big_user_id": big.pk,
        "big_user_key": issue_api_key(big, "scale bench").plaintext,
        "typical_user_id": typical.pk,
        "typical_user_key": issue_api_key(typical, "scale bench").plaintext,
    }
