"""What the escalating rules count: a customer's recent refusals, from the decisions the
policy recorded; and, for an order about to be placed, that count read together with
what the panel knows of the order's link, in one statement."""

from datetime import datetime, timedelta
from functools import cached_property

from django.db.models import Count
from django.utils import timezone

from smmpanel.compiled_sql import CompiledQuery, scalars
from smmpanel.policy import engine, link_checkers, rulebook
from smmpanel.policy.models import Decision, Outcome

REFUSALS = (Outcome.REJECT, Outcome.LIMIT, Outcome.RESTRICT)
# Refusals for the account's state, not the request's: retries while a review is open
# or ordering is blocked are not invalid orders and must not escalate.
ACCOUNT_STATE_RULES = ("account.ordering_blocked", "balance.review")
INVALID_ORDERS_RULE = "abuse.invalid_orders"


# Read for every order placed: compiled once (see ``compiled_sql``).
REFUSALS_SINCE = CompiledQuery(
    lambda user_id, point, since: (
        Decision.objects.filter(
            user_id=user_id,
            point=point,
            outcome__in=REFUSALS,
            enforced=True,
            created_at__gte=since,
        )
        .exclude(rule_code__in=ACCOUNT_STATE_RULES)
        .order_by()
        .values("user_id")
        .annotate(refusals=Count("pk"))
        .values_list("refusals")
    ),
    user_id=int,
    point=str,
    since=datetime,
)


def count_refusals(user, point: str, minutes: int) -> int:
    """Enforced refusals at ``point`` in the window. Escalated refusals (limit, restrict)
    count too: a customer who keeps going after an API limitation must reach the
    restriction; a shadow rule's hits refused nothing and do not count."""
    since = timezone.now() - timedelta(minutes=minutes)
    return REFUSALS_SINCE.scalar(user_id=user.pk, point=point, since=since) or 0


class OrderHistory:
    """The two facts of an order's rules that the database holds: the link's recorded
    state (``link.private``) and the customer's recent invalid orders
    (``abuse.invalid_orders``). Every order reads both, so the first asked reads both,
    in one statement; an invalid-orders window other than the rule's is counted apart.
    """

    def __init__(self, user, link):
        self._user, self._link = user, link
        self._read: tuple | None = None

    @cached_property
    def _window(self) -> int | None:
        return _invalid_orders_window()

    def recorded_state(self) -> str | None:
        return self._both()[0]

    def invalid_orders(self, minutes: int) -> int:
        if minutes != self._window:
            return count_refusals(self._user, rulebook.ORDER_PLACE, minutes)
        return self._both()[1] or 0

    def _both(self) -> tuple:
        if self._read is None:
            reads = [(link_checkers.RECORDED_STATE, {"key": self._link.key})]
            if self._window is not None:
                since = timezone.now() - timedelta(minutes=self._window)
                point = rulebook.ORDER_PLACE
                values = {"user_id": self._user.pk, "point": point, "since": since}
                reads.append((REFUSALS_SINCE, values))
            self._read = (*scalars(*reads), None)[:2]
        return self._read


def _invalid_orders_window() -> int | None:
    """The minutes the invalid-orders rule counts over, or None while it is off."""
    for spec, row in engine.rules_for(rulebook.ORDER_PLACE):
        if spec.code == INVALID_ORDERS_RULE:
            return rulebook.window_minutes({**spec.thresholds, **(row.thresholds or {})})
    return None
