"""Reads for providers: their health for staff, a service's routes, and the provider
figures of the reports (cost per period, error rates). Everything aggregates in the
database."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from smmpanel.billing.reports import ReportRange
from smmpanel.providers.models import (
    CostBasis,
    PendingServiceChange,
    Provider,
    ServiceRoute,
    Submission,
    SubmissionState,
)


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` as a percentage of ``whole`` to two decimals (half-up); None when whole is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True)
class ProviderHealth:
    """One provider as the staff list shows it."""

    provider: Provider
    circuit_open_until: datetime | None  # None: the circuit is closed (calls go out)
    error_rate: Decimal | None  # failed calls as % of all calls; None before any call
    routes: int

    @property
    def circuit_open(self) -> bool:
        return self.circuit_open_until is not None


def provider_health(now: datetime | None = None) -> list[ProviderHealth]:
    """Every provider with its circuit state, call error rate and number of routes."""
    now = now or timezone.now()
    rows = Provider.objects.annotate(route_count=Count("routes")).order_by("name")
    return [
        ProviderHealth(
            provider=p,
            circuit_open_until=(
                p.breaker_open_until
                if p.breaker_open_until and p.breaker_open_until > now
                else None
            ),
            error_rate=percent(p.failed_calls, p.calls),
            routes=p.route_count,
        )
        for p in rows
    ]


# How staff read the fields a held change names.
_CHANGE_LABELS = {
    "refill": _("refill"),
    "refill_days": _("refill period, days"),
    "min_quantity": _("minimum"),
    "max_quantity": _("maximum"),
    "cancel": _("cancel"),
}


@dataclass(frozen=True)
class HeldChange:
    """A change the catalog sync held for staff, as the providers page lists it."""

    change: PendingServiceChange
    fields: list[tuple[str, str, str]]  # (label, the service's value now, the proposed one)


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return str(value)


def held_service_changes() -> list[HeldChange]:
    """The changes the catalog sync holds for staff (oldest first), each with the
    service's current values beside the proposed ones."""
    pending = PendingServiceChange.objects.filter(state=PendingServiceChange.State.PENDING)
    return [
        HeldChange(
            change=change,
            fields=[
                (str(_CHANGE_LABELS.get(f, f)), _shown(getattr(change.service, f)), _shown(v))
                for f, v in change.changes.items()
            ],
        )
        for change in pending.select_related("service", "provider")
    ]


def routes_of(service) -> QuerySet[ServiceRoute]:
    """The routes of ``service`` in fallback order (primary first)."""
    return ServiceRoute.objects.filter(service=service).select_related("provider")


def active_providers() -> QuerySet[Provider]:
    return Provider.objects.filter(active=True)


def provider_cost_by_period(rng: ReportRange) -> dict[date, int]:
    """What upstream providers charged for the orders placed in each period of ``rng``
    (sum of the submissions' provider charges, by the order's date). A finished run's
    charge is what it really cost (``provider_cost_bases`` says how it was worked out);
    a running one's is the charge reported so far."""
    rows = (
        Submission.objects.filter(order__created_at__gte=rng.since, order__created_at__lt=rng.until)
        .annotate(bucket=rng.trunc("order__created_at"))
        .values("bucket")
        .annotate(cost=Sum("provider_charge_micros"))
        .order_by()
    )
    return {rng.bucket_of(r["bucket"]): r["cost"] or 0 for r in rows}


@dataclass(frozen=True)
class CostBases:
    """How the provider cost of the runs ended upstream was worked out."""

    reported: int  # runs at the charge the provider reported
    pro_rata: int  # Partial/Canceled runs at charge × delivered / quantity
    unworked: int  # runs closed without a final answer (staff) or before costs were worked out


def provider_cost_bases(rng: ReportRange) -> CostBases:
    """For the orders placed in ``rng``: how many of their runs that ended upstream were
    costed each way. One query."""
    done = Q(state=SubmissionState.DONE) & ~Q(provider_order_id="")  # sent, then ended
    counts = Submission.objects.filter(
        done, order__created_at__gte=rng.since, order__created_at__lt=rng.until
    ).aggregate(
        reported=Count("pk", filter=Q(cost_basis=CostBasis.REPORTED)),
        pro_rata=Count("pk", filter=Q(cost_basis=CostBasis.PRO_RATA)),
        unworked=Count("pk", filter=Q(cost_basis="")),
    )
    return CostBases(**counts)


@dataclass(frozen=True)
class ProviderErrors:
    name: str
    calls: int  # every call ever made (the circuit breaker's counters)
    failed_calls: int
    submissions: int  # orders (runs) sent to the provider in the range
    refused: int  # of those, refused by the provider
    unknown: int  # of those, still of unknown outcome (staff check)

    @property
    def call_error_rate(self) -> Decimal | None:
        return percent(self.failed_calls, self.calls)

    @property
    def refusal_rate(self) -> Decimal | None:
        return percent(self.refused, self.submissions)


def provider_errors(rng: ReportRange) -> list[ProviderErrors]:
    """Per provider: lifetime call error figures and, for the orders placed in ``rng``,
    how many submissions it refused or left unknown. One query."""
    placed = Q(
        submission__order__created_at__gte=rng.since,
        submission__order__created_at__lt=rng.until,
    )
    rows = (
        Provider.objects.annotate(
            subs=Count("submission", filter=placed),
            refused=Count(
                "submission", filter=placed & Q(submission__state=SubmissionState.REFUSED)
            ),
            unknown=Count(
                "submission", filter=placed & Q(submission__state=SubmissionState.UNKNOWN)
            ),
        )
        .order_by("name")
        .values("name", "calls", "failed_calls", "subs", "refused", "unknown")
    )
    return [
        ProviderErrors(
            name=r["name"],
            calls=r["calls"],
            failed_calls=r["failed_calls"],
            submissions=r["subs"],
            refused=r["refused"],
            unknown=r["unknown"],
        )
        for r in rows
    ]
