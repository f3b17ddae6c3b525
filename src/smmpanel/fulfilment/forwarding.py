"""Sending orders upstream: claim, call the provider outside any transaction, record.

A submission is claimed by a conditional UPDATE (``queued → sending``), so two
workers never send the same run. The outcome of the call decides what happens:

* accepted → ``active`` with the provider's order id; the order is ``In progress``;
* unavailable (nothing was sent) → back to ``queued`` with jittered backoff, and
  after ``ATTEMPTS_PER_ROUTE`` tries on to the next fallback route;
* busy (this process has all the calls to that provider in flight it allows) → back to
  ``queued`` for a few seconds, the try not counted: the provider was not asked;
* refused → the next fallback route, or ``Fail`` with the provider's message;
* ambiguous (timeout after sending, garbage answer) → ``unknown``: never re-sent
  automatically; the order goes to ``Fail`` for staff to check upstream.
"""

import contextlib
import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from smmpanel.catalog.service_types import QuantityFrom
from smmpanel.fulfilment.settlement import settle_if_finished
from smmpanel.orders.errors import InvalidTransition
from smmpanel.orders.models import Order, OrderStatus
from smmpanel.orders.state import transition
from smmpanel.providers.client import (
    ProviderBusy,
    ProviderError,
    ProviderRefused,
    ProviderUnavailable,
)
from smmpanel.providers.connection import client_for
from smmpanel.providers.models import ServiceRoute, Submission, SubmissionState

log = logging.getLogger(__name__)

ATTEMPTS_PER_ROUTE = 5
FORWARDABLE = (OrderStatus.PENDING, OrderStatus.IN_PROGRESS, OrderStatus.PROCESSING)
FIRST_SYNC_AFTER = timedelta(seconds=5)
# A run that found its provider's every slot taken (ProviderBusy) is due again this soon.
BUSY_RETRY_SECONDS = 5


def due_submissions(limit: int = 500) -> list[int]:
    """Ids of queued submissions whose time has come, of orders that may be sent."""
    return list(
        Submission.objects.filter(
            state=SubmissionState.QUEUED,
            next_attempt_at__lte=timezone.now(),
            order__status__in=FORWARDABLE,
            order__cancel_requested_at__isnull=True,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def forward_submission(submission_id: int) -> str:
    """Try to send one submission upstream; returns what happened (for logs and tests)."""
    now = timezone.now()
    # The claim and every read the send needs commit together: if the database fails
    # before the send, the claim rolls back and the run stays queued. Committed alone, it
    # would be left "sending" though nothing went out, and turn into an unknown
    # submission (a Fail for staff) once stale. After the commit the send needs no query.
    with transaction.atomic():
        # The claim filters on the submission's own columns only. A filter through the
        # order would make Django write "WHERE id IN (SELECT …)", and PostgreSQL re-checks
        # only the outer condition after waiting for a concurrent claim: both would win.
        claimed = Submission.objects.filter(
            pk=submission_id, state=SubmissionState.QUEUED, next_attempt_at__lte=now
        ).update(state=SubmissionState.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        if claimed != 1:
            return "not-due"
        sub = Submission.objects.select_related("order__service", "route__provider").get(
            pk=submission_id
        )
        if sub.order.status not in FORWARDABLE or sub.order.cancel_requested_at is not None:
            # Held for review, failed, ended or being canceled (its waiting runs are
            # withdrawn instead): give the claim back untouched.
            Submission.objects.filter(pk=sub.pk, state=SubmissionState.SENDING).update(
                state=SubmissionState.QUEUED, attempts=F("attempts") - 1
            )
            return "not-due"
        route = sub.route or _route_after(sub.order.service_id, None)
        if route is None:
            _requeue(sub, None, "no active provider route for this service", seconds=300)
            return "no-route"
    try:
        provider_order_id = client_for(route.provider).add(add_params(sub, route))
    except ProviderBusy as exc:
        return _busy(sub, route, exc)
    except ProviderUnavailable as exc:
        return _unavailable(sub, route, exc)
    except ProviderRefused as exc:
        return _next_route_or_fail(sub, route, f"{route.provider.name} refused: {exc.message}")
    except ProviderError as exc:  # ambiguous or garbage after sending: never re-send
        return _unknown(sub, route, exc)
    reused_by = _order_with_upstream_id(route, provider_order_id, sub.order_id)
    if reused_by is not None:
        # Two panel orders cannot be one upstream order: syncing both from its status
        # would settle the later one on the earlier one's delivery.
        reused = f"answered with order id {provider_order_id}, already given for order {reused_by}"
        return _unknown(sub, route, ProviderError(reused))
    _accepted(sub, route, provider_order_id)
    return "accepted"


def upstream_id_holders(provider_id: int, provider_order_id: str, order_id: int):
    """The other panel orders' runs the provider already gave ``provider_order_id``
    (read by the ``submission_upstream_id`` index)."""
    return Submission.objects.filter(
        provider_id=provider_id, provider_order_id=provider_order_id
    ).exclude(order_id=order_id)


def _order_with_upstream_id(route: ServiceRoute, provider_order_id: str, order_id: int):
    """Another panel order the provider already gave ``provider_order_id``, or None."""
    holders = upstream_id_holders(route.provider_id, provider_order_id, order_id)
    return holders.values_list("order_id", flat=True).first()


def add_params(sub: Submission, route: ServiceRoute) -> dict[str, object]:
    """The ``add`` request for one run: the order's own parameters, upstream ids."""
    order = sub.order
    stype = order.service.service_type
    params: dict[str, object] = {"service": route.provider_service_id}
    if stype.needs_link:
        params["link"] = order.link
    if stype.quantity_from is QuantityFrom.PARAM:
        params["quantity"] = sub.quantity
    params.update(order.params)
    return params


def _accepted(sub: Submission, route: ServiceRoute, provider_order_id: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        Submission.objects.filter(pk=sub.pk, state=SubmissionState.SENDING).update(
            state=SubmissionState.ACTIVE,
            route=route,
            provider=route.provider,
            provider_order_id=provider_order_id,
            sent_at=now,
            next_sync_at=now + FIRST_SYNC_AFTER,
            sync_interval=int(FIRST_SYNC_AFTER.total_seconds()),
            error="",
        )
        order = Order.objects.get(pk=sub.order_id)
        if order.status == OrderStatus.PENDING:
            transition(order, OrderStatus.IN_PROGRESS, note=f"sent to {route.provider.name}")
    log.info("order %s run %s accepted upstream as %s", sub.order_id, sub.run, provider_order_id)


def retry_delay(attempts: int) -> float:
    """Seconds before trying again a call that did not reach the provider, after
    ``attempts`` tries: doubling from 10 s up to 5 minutes, spread by ±50% so the retries
    of many rows do not all come back at once."""
    return min(2**attempts * 5, 300) * random.uniform(0.5, 1.5)


def _unavailable(sub: Submission, route: ServiceRoute, exc: ProviderError) -> str:
    reason = f"{route.provider.name} unavailable: {exc.message}"
    if sub.attempts < ATTEMPTS_PER_ROUTE:
        _requeue(sub, route, reason, seconds=retry_delay(sub.attempts))
        return "retry"
    return _next_route_or_fail(sub, route, reason)


def _busy(sub: Submission, route: ServiceRoute, exc: ProviderError) -> str:
    # Not a failure of the provider or the run: the claim's try is given back, so a slow
    # provider's queue never pushes these runs on to a fallback route or to Fail.
    Submission.objects.filter(pk=sub.pk, state=SubmissionState.SENDING).update(
        state=SubmissionState.QUEUED,
        route=route,
        attempts=F("attempts") - 1,
        next_attempt_at=timezone.now()
        + timedelta(seconds=BUSY_RETRY_SECONDS * random.uniform(0.5, 1.5)),
        error=f"{route.provider.name} busy: {exc.message}"[:500],
    )
    return "busy"


def _next_route_or_fail(sub: Submission, route: ServiceRoute, reason: str) -> str:
    fallback = _route_after(sub.order.service_id, route)
    if fallback is not None:
        Submission.objects.filter(pk=sub.pk, state=SubmissionState.SENDING).update(
            state=SubmissionState.QUEUED, route=fallback, attempts=0, error=reason[:500]
        )
        return "fallback"
    with transaction.atomic():
        Submission.objects.filter(pk=sub.pk, state=SubmissionState.SENDING).update(
            state=SubmissionState.REFUSED, error=reason[:500]
        )
        _fail_order(sub.order_id, reason)
        # A later drip-feed run of a running order: its other runs may all be final
        # already, and no status sync would come to settle the order.
        settle_if_finished(sub.order_id)
    return "refused"


def _unknown(sub: Submission, route: ServiceRoute, exc: ProviderError) -> str:
    reason = (
        f"submission unknown: {route.provider.name} may have received this order "
        f"({exc.message}); check upstream before resending"
    )
    with transaction.atomic():
        Submission.objects.filter(pk=sub.pk, state=SubmissionState.SENDING).update(
            state=SubmissionState.UNKNOWN, route=route, provider=route.provider, error=reason[:500]
        )
        _fail_order(sub.order_id, reason)
    log.warning("order %s run %s: %s", sub.order_id, sub.run, reason)
    return "unknown"


def _fail_order(order_id: int, reason: str) -> None:
    """Hand a not-yet-started order to staff. A later drip-feed run leaves the order
    running; its undelivered quantity is refunded when the order settles."""
    order = Order.objects.get(pk=order_id)
    if order.status == OrderStatus.PENDING:
        with contextlib.suppress(InvalidTransition):
            transition(order, OrderStatus.FAIL, note=reason)


def _requeue(sub: Submission, route: ServiceRoute | None, reason: str, *, seconds: float) -> None:
    Submission.objects.filter(pk=sub.pk, state=SubmissionState.SENDING).update(
        state=SubmissionState.QUEUED,
        route=route,
        next_attempt_at=timezone.now() + timedelta(seconds=seconds),
        error=reason[:500],
    )


def _route_after(service_id: int, current: ServiceRoute | None) -> ServiceRoute | None:
    routes = ServiceRoute.objects.filter(
        service_id=service_id, active=True, provider__active=True
    ).select_related("provider")
    if current is not None:
        routes = routes.filter(
            Q(priority__gt=current.priority) | Q(priority=current.priority, pk__gt=current.pk)
        )
    return routes.order_by("priority", "pk").first()


def release_stale_claims() -> int:
    """Submissions left ``sending`` by a crashed worker: the request may have gone out,
    so they are ambiguous and never re-sent automatically."""
    cutoff = timezone.now() - timedelta(seconds=settings.STALE_CLAIM_SECONDS)
    reason = "submission unknown: the worker stopped while sending; check upstream"
    count = 0
    for sub in Submission.objects.filter(state=SubmissionState.SENDING, claimed_at__lt=cutoff):
        with transaction.atomic():
            moved = Submission.objects.filter(pk=sub.pk, state=SubmissionState.SENDING).update(
                state=SubmissionState.UNKNOWN, error=reason
            )
            if moved == 1:
                _fail_order(sub.order_id, reason)
                count += 1
    return count


def resend(order: Order, *, actor, route: ServiceRoute | None = None) -> None:
    """Staff: send a failed order again (to ``route`` or the service's first route)."""
    with transaction.atomic():
        transition(order, OrderStatus.PENDING, actor=actor, note="resent by staff")
        Submission.objects.filter(
            order=order, state__in=(SubmissionState.REFUSED, SubmissionState.UNKNOWN)
        ).update(
            state=SubmissionState.QUEUED,
            route=route,
            attempts=0,
            next_attempt_at=timezone.now(),
            error="",
        )
