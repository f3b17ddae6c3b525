"""The rule rows and the deny list as the hot paths read them: from the database at most
once per ``POLICY_CACHE_SECONDS`` in each process, not on every request.

The process that changes a rule or a deny entry drops its copy at once (model signals,
wired in ``PolicyConfig.ready``); every other process sees the change within
``POLICY_CACHE_SECONDS`` (5 s by default). Restrictions and API limitations are not
cached here: they take effect on the next request (see ``User.policy_limited``).
"""

import time

from cachetools.func import ttl_cache
from django.conf import settings
from django.db import transaction

from smmpanel.policy.models import DenyEntry, Rule

_SECONDS = settings.POLICY_CACHE_SECONDS


def _clock() -> float:
    return time.monotonic()


def stored_rules() -> dict[str, Rule]:
    """Every stored rule row by code, read now (``rule_rows`` is the cached copy)."""
    return {row.code: row for row in Rule.objects.all()}


@ttl_cache(maxsize=1, ttl=_SECONDS, timer=lambda: _clock())
def rule_rows() -> dict[str, Rule]:
    """Every stored rule row by code. Treat the rows as read-only."""
    return stored_rules()


@ttl_cache(maxsize=1, ttl=_SECONDS, timer=lambda: _clock())
def active_deny_entries() -> tuple[tuple[str, str], ...]:
    """``(kind, value)`` of every active deny-list entry, terms included."""
    return tuple(
        DenyEntry.objects.filter(active=True).order_by("kind", "value").values_list("kind", "value")
    )


def forget() -> None:
    """Drop this process's copies (between tests, or after a change)."""
    rule_rows.cache_clear()
    active_deny_entries.cache_clear()


def forget_on_change(**_signal_args) -> None:
    """A rule or deny entry changed: drop the copies now and again once the change
    commits (a read in between would have cached the old rows)."""
    forget()
    transaction.on_commit(forget)
