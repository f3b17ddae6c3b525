"""Keeping orders in step with their providers, 100 upstream ids per call.

Each active submission is polled when its ``next_sync_at`` comes; one whose upstream
status did not move is polled less and less often (up to every 15 minutes), one that
moves is polled again soon. Final upstream statuses settle the order.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from smmpanel.database_outage import is_outage
from smmpanel.fulfilment.settlement import settle_if_finished
from smmpanel.money import share_of, to_micros
from smmpanel.orders.models import Order
from smmpanel.providers.client import ProviderError, ProviderRefused, RemoteStatus
from smmpanel.providers.connection import client_for
from smmpanel.providers.models import CostBasis, Provider, Submission, SubmissionState

log = logging.getLogger(__name__)

BATCH = 100
FAST_INTERVAL = 5
SLOWEST_INTERVAL = 900
FINAL = {"Completed", "Partial", "Canceled"}
MAX_PROVIDER_CHARGE = 10**9  # a charge beyond this is nonsense (and overflows 64-bit micros)
_FIELDS = (
    "id",
    "order_id",
    "quantity",
    "provider_order_id",
    "remote_status",
    "remains",
    "start_count",
    "sync_interval",
    "provider_charge_micros",
)


def sync_provider(provider: Provider, *, limit: int = 10_000) -> int:
    """Poll the due active submissions of ``provider``; returns how many were updated."""
    due = list(
        Submission.objects.filter(
            provider=provider, state=SubmissionState.ACTIVE, next_sync_at__lte=timezone.now()
        )
        .order_by("next_sync_at")
        .select_related("order")
        .only(*_FIELDS, "order__runs", "order__status")[:limit]
    )
    if not due:
        return 0
    try:
        # No retries inside a pass: the next pass, seconds later, is the retry. Retried
        # here, a provider that hangs would hold up every other provider's sync three
        # read timeouts long.
        client = client_for(provider, retries=0)
    except ProviderError as exc:
        _postpone(due, exc.message)
        return 0
    synced = 0
    for start in range(0, len(due), BATCH):
        batch_synced = _sync_batch(provider, client, due[start : start + BATCH])
        if batch_synced is None:
            break  # the provider failed: its other batches wait for the next pass
        synced += batch_synced
    Provider.objects.filter(pk=provider.pk).update(last_sync_at=timezone.now())
    return synced


def _sync_batch(provider: Provider, client, batch: list[Submission]) -> int | None:
    """Poll and apply one batch; None when the provider could not answer it."""
    try:
        answers = client.multi_status([s.provider_order_id for s in batch])
    except ProviderError as exc:
        _postpone(batch, exc.message)
        Provider.objects.filter(pk=provider.pk).update(last_error=exc.message[:500])
        return None
    synced = 0
    # A batch shares one transaction (one commit instead of a hundred); each order that
    # ended settles in a savepoint of its own, so one failure cannot undo the others.
    with transaction.atomic():
        for sub in batch:
            answer = answers.get(sub.provider_order_id)
            if isinstance(answer, RemoteStatus):
                if answer.status not in FINAL:
                    synced += _apply_safely(sub, answer)
            else:
                message = answer.message if isinstance(answer, ProviderRefused) else "no answer"
                _postpone([sub], f"status: {message}")
        for sub in batch:
            answer = answers.get(sub.provider_order_id)
            if isinstance(answer, RemoteStatus) and answer.status in FINAL:
                synced += _apply_safely(sub, answer)
    return synced


def _apply_safely(sub: Submission, remote: RemoteStatus) -> int:
    """One submission's trouble must not stop the batch (nor every later pass): it is
    logged and that submission alone is polled again later."""
    try:
        apply_remote_status(sub, remote)
    except Exception as exc:
        if is_outage(exc):
            raise  # not this submission's trouble: the pass stops and the next one retries
        log.exception("status of order %s run %s could not be applied", sub.order_id, sub.run)
        _postpone([sub], f"status could not be applied: {exc}")
        return 0
    return 1


def apply_remote_status(sub: Submission, remote: RemoteStatus) -> None:
    """Record what the provider says about one submission; settle when it is final."""
    now = timezone.now()
    remains = _clamp(remote.remains, sub.quantity)
    moved = remote.status != sub.remote_status or (remains is not None and remains != sub.remains)
    interval = FAST_INTERVAL if moved else min(sub.sync_interval * 2, SLOWEST_INTERVAL)
    fields: dict[str, object] = {
        "remote_status": remote.status,
        "sync_interval": interval,
        "next_sync_at": now + timedelta(seconds=interval),
        "error": "",
    }
    start_count = known_start_count(sub.start_count, remote.start_count)
    if start_count != sub.start_count:
        fields["start_count"] = start_count
    reported = None
    if remote.charge is not None and 0 <= remote.charge < MAX_PROVIDER_CHARGE:
        reported = to_micros(round(remote.charge, 6))
        fields["provider_charge_micros"] = reported
    if remote.status == "Partial" and remains is None and sub.remains is None:
        # Partial, but never a figure of what is left: settling would have to guess the
        # refund. Staff check upstream instead (the moderation queue lists it).
        fields["state"] = SubmissionState.UNKNOWN
        fields["error"] = "provider reported Partial without remains; check upstream"
    elif remote.status in FINAL:
        fields["state"] = SubmissionState.DONE
        # A Partial without a usable count keeps the last one we saw: never invent remains.
        last_known = remains if remains is not None else (sub.remains or 0)
        fields["remains"] = {"Completed": 0, "Canceled": _canceled_remains(remains, sub)}.get(
            remote.status, last_known
        )
        cost, basis = run_cost(
            remote.status,
            known=sub.provider_charge_micros,
            reported=reported,
            quantity=sub.quantity,
            remains=fields["remains"],
        )
        fields["provider_charge_micros"] = cost
        fields["cost_basis"] = basis
    elif remains is not None:
        fields["remains"] = remains
    with transaction.atomic():
        updated = Submission.objects.filter(pk=sub.pk, state=SubmissionState.ACTIVE).update(
            **fields
        )
        if updated != 1:
            return
        for name in ("start_count", "remains"):
            if name in fields:
                setattr(sub, name, fields[name])
        _mirror_progress(sub.order_id, sub)
        if fields.get("state") == SubmissionState.DONE:
            settle_if_finished(sub.order_id)


def run_cost(
    status: str, *, known: int | None, reported: int | None, quantity: int, remains: int
) -> tuple[int | None, str]:
    """What a run that ended ``status`` cost, and on what basis (a ``CostBasis``, or
    blank when no charge is known at all).

    ``known`` is the charge seen while the run went, ``reported`` the one in the final
    answer (None when it had none). A Completed run costs what the provider charged. A
    Partial or Canceled run costs the provider's own final figure when it is lower than
    the charge seen before (the provider refunded and says so); otherwise the provider
    kept printing the full charge (or gave none at the end), and the run costs that
    charge × delivered / quantity: it refunds remains just as the panel does.
    """
    if status not in ("Partial", "Canceled"):
        charge = reported if reported is not None else known
        return charge, (CostBasis.REPORTED if charge is not None else "")
    if reported is not None and (known is None or reported < known):
        # With nothing seen before, the provider's final figure is its only word: taken
        # as what it charged, never cut again (that would halve a refunded charge).
        return reported, CostBasis.REPORTED
    full = reported if reported is not None else known
    if full is None:
        return None, ""
    if quantity <= 0:
        return 0, CostBasis.PRO_RATA
    delivered = quantity - max(0, min(remains, quantity))
    return share_of(full, delivered, quantity), CostBasis.PRO_RATA


def _mirror_progress(order_id: int, sub: Submission | None = None) -> None:
    """Show the customer the upstream progress: the first run's start count, and
    remains summed over all runs (runs not sent yet count whole)."""
    if sub is not None and sub.order.runs is None:  # one run: its figures are the order's
        Order.objects.filter(pk=order_id, status=sub.order.status).update(
            **_start_count_field(sub.start_count),
            remains=sub.remains or 0,
            updated_at=timezone.now(),
        )
        return
    order = Order.objects.only("runs", "quantity", "status").get(pk=order_id)
    subs = list(
        Submission.objects.filter(order_id=order_id).values(
            "run", "start_count", "remains", "quantity"
        )
    )
    first = min(subs, key=lambda s: s["run"])
    remains = sum(s["quantity"] if s["remains"] is None else s["remains"] for s in subs)
    remains += order.quantity * ((order.runs or 1) - len(subs))
    Order.objects.filter(pk=order_id, status=order.status).update(
        **_start_count_field(first["start_count"]), remains=remains, updated_at=timezone.now()
    )


def known_start_count(known: int | None, reported: int | None) -> int | None:
    """The start count to keep after a provider's answer. Providers send 0 (or nothing)
    once an order is canceled or done, which says nothing about where it started: a
    known count is only ever replaced by another real (positive) one."""
    if reported is None or reported < 0:
        return known
    if reported == 0 and known:
        return known
    return reported


def _start_count_field(start_count: int | None) -> dict[str, int]:
    """The order's start count to write: none while the provider has given no real one,
    so one staff set (or an earlier answer gave) is never blanked."""
    return {"start_count": start_count} if start_count else {}


def _canceled_remains(remains: int | None, sub: Submission) -> int:
    """A cancel after some delivery reports what is left: refund that, not the whole
    charge. Without a usable figure, Canceled means nothing was delivered."""
    if remains is not None and 0 < remains < sub.quantity:
        return remains
    return sub.quantity


def _clamp(value: int | None, quantity: int) -> int | None:
    """A provider may report nonsense; remains are never below 0 nor above what was sent."""
    if value is None:
        return None
    return max(0, min(value, quantity))


def _postpone(batch: list[Submission], reason: str) -> None:
    now = timezone.now()
    for sub in batch:
        interval = min(sub.sync_interval * 2, SLOWEST_INTERVAL)
        Submission.objects.filter(pk=sub.pk).update(
            sync_interval=interval,
            next_sync_at=now + timedelta(seconds=interval),
            error=reason[:500],
        )
