"""Is a target public? Pluggable checkers that never visit the platform themselves.

The panel does not scrape social platforms. What it knows comes from its own records
(``KnownTarget``: reported by a provider, support or staff) and from operator hooks
listed in ``settings.POLICY_LINK_CHECKERS`` — dotted paths to callables
``check(link: CanonicalLink, service) -> "private" | "restricted" | "deleted" | None``,
for example a call to a provider that offers such a check. A checker that fails is
skipped: an unknown state never blocks an order.
"""

import logging
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.db import DatabaseError
from django.utils.module_loading import import_string

from smmpanel.compiled_sql import CompiledQuery
from smmpanel.policy.models import KnownTarget

log = logging.getLogger(__name__)
NOT_PUBLIC = ("private", "restricted", "deleted")


# Read for every order placed: compiled once (see ``compiled_sql``).
RECORDED_STATE = CompiledQuery(
    lambda key: KnownTarget.objects.filter(link_key=key).order_by("pk").values_list("state")[:1],
    key=str,
)


def known_targets(link, service) -> str | None:
    """The built-in checker: targets recorded as not public."""
    return RECORDED_STATE.scalar(key=link.key)


@cache
def _checkers() -> tuple:
    paths = getattr(settings, "POLICY_LINK_CHECKERS", [])
    return (known_targets, *(import_string(p) for p in paths))


def target_state(link, service, recorded: Callable[[], str | None] | None = None) -> str | None:
    """The first not-public state any checker reports, or None. ``recorded`` reads the
    built-in checker's answer where the caller reads it along with something else."""
    for checker in _checkers():
        try:
            if checker is known_targets and recorded is not None:
                state = recorded()
            else:
                state = checker(link, service)
        except DatabaseError:
            raise  # the order's own reads and writes would fail next: not the checker's
        except Exception:
            log.exception("link checker %r failed; treated as unknown", checker)
            continue
        if state in NOT_PUBLIC:
            return state
    return None
