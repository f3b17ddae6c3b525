"""The rule rows and the deny list as the hot paths read them: from the database at most
once per ``POLICY_CACHE_SECONDS`` in each process, not on every request.

The process that changes a rule or a deny entry drops its copy at once (model signals,
wired in ``PolicyConfig.ready``); every other process sees the change within
``POLICY_CACHE_SECONDS`` (5 s by default). Restrictions and API limitations are not
cached here: they take effect on the next request (see ``User.policy_limited``).
"""

import time

from django.conf import settings

from smmpanel.policy.models import DenyEntry, Rule
from smmpanel.process_cache import ProcessSnapshot

_SECONDS = settings.POLICY_CACHE_SECONDS


def _clock() -> float:
    return time.monotonic()


_rules = ProcessSnapshot(
    lambda: {row.code: row for row in Rule.objects.all()}, _SECONDS, lambda: _clock()
)
_deny_entries = ProcessSnapshot(
    lambda: tuple(
        DenyEntry.objects.filter(active=True).order_by("kind", "value").values_list("kind", "value")
    ),
    _SECONDS,
    lambda: _clock(),
)


def rule_rows() -> dict[str, Rule]:
    """Every stored rule row by code. Treat the rows as read-only."""
    return _rules()


def active_deny_entries() -> tuple[tuple[str, str], ...]:
    """``(kind, value)`` of every active deny-list entry, terms included."""
    return _deny_entries()


def forget() -> None:
    """Drop this process's copies (between tests, or after a change)."""
    _rules.forget()
    _deny_entries.forget()


def forget_on_change(**_signal_args) -> None:
    """A rule or deny entry changed (see ``ProcessSnapshot.forget_on_change``)."""
    _rules.forget_on_change()
    _deny_entries.forget_on_change()
