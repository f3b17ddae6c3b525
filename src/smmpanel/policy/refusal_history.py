"""What the escalating rules count: a customer's recent refusals, from the decisions the
policy recorded; and, for an order about to be placed, that count read together with
what the panel knows of the order's link, in one statement."""

from datetime import UTC, datetime, timedelta
from functools import cached_property

from django.db.models import Case, Count, Sum, Value, When
from django.utils import timezone

from smmpanel.audit.models import Decision
from smmpanel.compiled_sql import CompiledQuery, scalars
from smmpanel.policy import engine, link_checkers, rulebook
from smmpanel.policy.models import Outcome

REFUSALS = (Outcome.REJECT, Outcome.LIMIT, Outcome.RESTRICT)
# Refusals for the account's state, not the request's: retries while a review is open
# or ordering is blocked are not invalid orders and must not escalate.
ACCOUNT_STATE_RULES = ("account.ordering_blocked", "balance.review")
INVALID_ORDERS_RULE = "abuse.invalid_orders"
# What ``abuse.invalid_orders`` does not count: refusals for the account's state, and its
# own refusals, so that retrying while refused never extends the refusal.
NOT_INVALID_ORDERS = (*ACCOUNT_STATE_RULES, INVALID_ORDERS_RULE)
# How much one refused order request counts towards ``abuse.invalid_orders``, in
# quarters: over the API (automation, floods) a whole one; on the web form, where a
# person sees the refusal as they type and corrects it, a quarter. A mass order counts
# once, as one web form refusal, however many of its lines were refused
# (``policy.mass_orders``).
API_REFUSAL_QUARTERS = 4
WEB_REFUSAL_QUARTERS = 1


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


def _counted_refusals(user_id, since: datetime):
    """The refused order requests ``abuse.invalid_orders`` counts since ``since``, each
    annotated with its weight in quarters: the one rule for the count and for when it
    falls (``invalid_orders_until``)."""
    return (
        Decision.objects.filter(
            user_id=user_id,
            point=rulebook.ORDER_PLACE,
            outcome__in=REFUSALS,
            enforced=True,
            created_at__gte=since,
        )
        .exclude(rule_code__in=NOT_INVALID_ORDERS)
        .annotate(
            quarters=Case(
                When(api_key__isnull=True, then=Value(WEB_REFUSAL_QUARTERS)),
                default=Value(API_REFUSAL_QUARTERS),
            )
        )
    )


# Read for every order placed, with the link's state (``OrderHistory``).
INVALID_ORDER_QUARTERS_SINCE = CompiledQuery(
    lambda user_id, since: (
        _counted_refusals(user_id, since)
        .order_by()
        .values("user_id")
        .annotate(total=Sum("quarters"))
        .values_list("total")
    ),
    user_id=int,
    since=datetime,
)


def count_invalid_orders(user, minutes: int) -> int:
    """The refused order requests ``abuse.invalid_orders`` counts in the window: each
    over the API as one, each on the web form (or mass order) as a quarter."""
    since = timezone.now() - timedelta(minutes=minutes)
    quarters = INVALID_ORDER_QUARTERS_SINCE.scalar(user_id=user.pk, since=since) or 0
    return quarters // API_REFUSAL_QUARTERS


def invalid_orders_until(user, minutes: int, below: int) -> str:
    """When the counted invalid orders fall below ``below`` as the oldest leave the
    window ("2026-12-07 10:42 UTC"), or "" when they are below it already. Read only when
    the rule refuses, for its message."""
    window = timedelta(minutes=minutes)
    weights = list(
        _counted_refusals(user.pk, timezone.now() - window)
        .order_by("created_at")
        .values_list("created_at", "quarters")
    )
    quarters = sum(weight for _at, weight in weights)
    leaves_at = None
    for created_at, weight in weights:
        if quarters // API_REFUSAL_QUARTERS < below:
            break
        quarters -= weight
        leaves_at = created_at + window
    return "" if leaves_at is None else leaves_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def count_refusals(user, point: str, minutes: int) -> int:
    """Enforced refusals at ``point`` in the window. Escalated refusals (limit, restrict)
    count too: a customer who keeps going after an API limitation must reach the
    restriction; a shadow rule's hits refused nothing and do not count."""
    since = timezone.now() - timedelta(minutes=minutes)
    return REFUSALS_SINCE.scalar(user_id=user.pk, point=point, since=since) or 0


class OrderHistory:
    """The two facts of an order's rules that the database holds: the link's recorded
    state (``link.private``) and the customer's recent invalid orders
    (``abuse.invalid_orders``, read in quarters, see ``count_invalid_orders``). Every
    order reads both, so the first asked reads both, in one statement; an invalid-orders
    window other than the rule's is counted apart.
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
            return count_invalid_orders(self._user, minutes)
        return (self._both()[1] or 0) // API_REFUSAL_QUARTERS

    def _both(self) -> tuple:
        if self._read is None:
            reads = [(link_checkers.RECORDED_STATE, {"key": self._link.key})]
            if self._window is not None:
                since = timezone.now() - timedelta(minutes=self._window)
                values = {"user_id": self._user.pk, "since": since}
                reads.append((INVALID_ORDER_QUARTERS_SINCE, values))
            self._read = (*scalars(*reads), None)[:2]
        return self._read


def _invalid_orders_window() -> int | None:
    """The minutes the invalid-orders rule counts over, or None while it is off."""
    for spec, row in engine.rules_for(rulebook.ORDER_PLACE):
        if spec.code == INVALID_ORDERS_RULE:
            return rulebook.window_minutes({**spec.thresholds, **(row.thresholds or {})})
    return None
