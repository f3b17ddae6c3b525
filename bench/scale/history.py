"""What happened to the generated orders: provider work, events, refused requests and
refills.

**Provider work** (``providers.Submission``, the outbox): every order has its run-1
submission as the product leaves it: Pending/Review ``queued``; In progress/Processing
``active`` with a provider order id and ``next_sync_at`` spread from 5 minutes ago to 15
minutes ahead (so status sync has a due backlog); Fail ``refused``; final orders ``done``
with the upstream figures, a customer's cancel of a not-yet-sent order ``done`` +
"withdrawn". Ended orders keep their submissions because the product does (refills look
up run 1; the staff provider filter reads them), which also makes the status-sync and
forwarding picks run against a 10-million-row table as they would in production. Which
provider holds them is told in ``sources.py``.

**Events** (``OrderEvent``): the full history (placed, sent, settled…) for every order
of the last 7 days and every unfinished one: the order pages people open. Older orders
have none (30 million rows the hot paths never read; the timeline query is by
``order_id`` and costs the same either way).

**Policy history**: refused order requests as the product records them
(``order.duplicate`` for ~1 in 37 orders, ``order.invalid`` for ~1 in 101), so the
per-order ``abuse.invalid_orders`` count and the audit log read a realistic table
(~3,700 decisions for the big user).

**Refills**: ~1 in 97 finished orders of refill services had a refill (80% completed,
20% rejected) with its finished ``RefillSubmission``.
"""

from __future__ import annotations

from .sql import insert, table

EVENTS_WINDOW_DAYS = 7  # full event history for orders this young (and all unfinished)
SYNC_INTERVALS = (5, 10, 20, 40, 80, 160, 320, 640, 900)
# An order the provider got (not one held, refused or withdrawn before sending).
SENT = (
    "(o.status NOT IN ('pending', 'review', 'fail')"
    " AND NOT (o.status = 'canceled' AND o.start_count = 0))"
)
ACTIVE = "o.status IN ('in_progress', 'processing')"

SUBMISSION_VALUES = {
    "order": "o.id",
    "run": "1",
    "quantity": "o.quantity",
    "state": f"CASE WHEN o.status IN ('pending', 'review') THEN 'queued'"
             f" WHEN o.status = 'fail' THEN 'refused' WHEN {ACTIVE} THEN 'active'"
             f" ELSE 'done' END",
    "route": "NULL",
    "provider": f"CASE WHEN {SENT} THEN %(provider)s::bigint END",
    "provider_order_id": f"CASE WHEN {SENT} THEN (o.id + 5000000)::text"
                         f" ELSE '' END",
    "attempts": f"CASE WHEN {SENT} OR o.status = 'fail' THEN 1 ELSE 0 END",
    "next_attempt_at": "o.created_at",
    "claimed_at": f"CASE WHEN {SENT} OR o.status = 'fail'"
                  f" THEN o.created_at + interval '1 second' END",
    "sent_at": f"CASE WHEN {SENT} THEN o.created_at + interval '2 seconds' END",
    "next_sync_at": f"CASE WHEN {ACTIVE}"
                    f" THEN %(now)s::timestamptz + (random() * 1200 - 300)"
                    f" * interval '1 second' WHEN {SENT} THEN o.finished_at END",
    "sync_interval": f"CASE WHEN {ACTIVE}"
                     f" THEN (%(intervals)s::int[])[1 + floor(random() * 9)::int]"
                     f" ELSE 5 END",
    "remote_status": f"CASE WHEN o.status = 'processing' THEN 'Processing'"
                     f" WHEN {ACTIVE} THEN 'In progress'"
                     f" WHEN {SENT} THEN initcap(o.status) ELSE '' END",
    "start_count": f"CASE WHEN {SENT} THEN o.start_count END",
    "remains": f"CASE WHEN {SENT} THEN o.remains END",
    "provider_charge_micros": f"CASE WHEN {SENT}"
                              f" THEN o.charge_micros * 6 / 10 END",
    "cancel_sent_at": "NULL",
    "error": f"CASE WHEN o.status = 'fail' THEN %(refused)s"
             f" WHEN o.status = 'canceled' AND NOT {SENT} THEN %(withdrawn)s"
             f" ELSE '' END",
    "created_at": "o.created_at",
    "updated_at": "coalesce(o.finished_at, %(now)s::timestamptz)",
}  # fmt: skip

# The events of the recent orders (``{recent}``: ``FROM`` them), one SELECT per kind.
EVENTS_FROM = """FROM (
    SELECT o.id AS order_id, 1 AS step, '' AS from_status,
           CASE WHEN o.status = 'review' THEN 'review' ELSE 'pending' END
             AS to_status,
           NULL::bigint AS actor, o.created_at AS ts,
           'placed via ' || o.source || CASE WHEN o.status = 'review'
             THEN '; held by order.large' ELSE '' END AS note {recent}
    UNION ALL
    SELECT o.id, 2, 'pending', 'in_progress', NULL,
           o.created_at + interval '2 seconds', %(sent_note)s {recent} AND {sent}
    UNION ALL
    SELECT o.id, 2, 'pending', 'fail', NULL, o.created_at + interval '2 seconds',
           %(refused)s {recent} AND o.status = 'fail'
    UNION ALL
    SELECT o.id, 3, 'in_progress', 'processing', NULL,
           least(%(now)s::timestamptz, o.created_at + interval '60 seconds'), ''
           {recent} AND o.status = 'processing'
    UNION ALL
    SELECT o.id, 4, 'in_progress', o.status, NULL, o.finished_at,
           CASE o.status WHEN 'partial' THEN 'partial upstream'
             WHEN 'canceled' THEN 'canceled upstream' ELSE '' END
           {recent} AND {sent} AND o.finished_at IS NOT NULL
    UNION ALL
    SELECT o.id, 4, 'pending', 'canceled', o.user_id, o.finished_at,
           'canceled by customer' {recent} AND o.status = 'canceled'
           AND NOT {sent}
) e ORDER BY e.ts, e.order_id, e.step"""


def insert_submissions(cur, params: dict, *, history: bool = True) -> int:
    """The run-1 submission of every order (of the unfinished ones only without
    ``history``)."""
    from smmpanel.orders.models import Order
    from smmpanel.providers.models import Submission

    tail = f"FROM {table(Order)} o WHERE o.id >= %(o0)s"
    if not history:
        tail += " AND o.status NOT IN ('completed', 'partial', 'canceled')"
    return insert(cur, Submission, SUBMISSION_VALUES, tail, params)


def insert_events(cur, params: dict) -> int:
    """The full event history of the orders from ``%(recent)s`` on, in time order."""
    from smmpanel.orders.models import Order, OrderEvent

    recent = f"FROM {table(Order)} o WHERE o.id >= %(recent)s"
    return insert(
        cur,
        OrderEvent,
        {
            "order": "e.order_id",
            "from_status": "e.from_status",
            "to_status": "e.to_status",
            "actor": "e.actor",
            "note": "e.note",
            "created_at": "e.ts",
        },
        EVENTS_FROM.format(recent=recent, sent=SENT),
        params,
    )


def insert_decisions(cur, params: dict) -> int:
    """Refused order requests: ``order.duplicate`` and ``order.invalid``."""
    from smmpanel.audit.models import Decision
    from smmpanel.orders.models import Order

    return insert(
        cur,
        Decision,
        {
            "point": "'order.place'",
            "rule_code": "CASE WHEN mod(o.id, 37) = 0 THEN 'order.duplicate'"
            " ELSE 'order.invalid' END",
            "rule_version": "0",
            "outcome": "'reject'",
            "enforced": "true",
            "user": "o.user_id",
            "api_key": "NULL",
            "order": "NULL",
            "actor": "NULL",
            "inputs": "CASE WHEN mod(o.id, 37) = 0 THEN '{}'::jsonb ELSE"
            " jsonb_build_object('field', 'quantity', 'service', o.service_id)"
            " END",
            "rule_state": "'{}'::jsonb",
            "reason": "CASE WHEN mod(o.id, 37) = 0 THEN %(duplicate)s"
            " ELSE 'Quantity less than minimal ' || s.low END",
            "created_at": "o.created_at - interval '20 seconds'",
        },
        f"FROM {table(Order)} o JOIN unnest(%(svc_id)s::bigint[], %(svc_min)s::int[])"
        " AS s(id, low) ON s.id = o.service_id"
        " WHERE o.id >= %(o0)s AND (mod(o.id, 37) = 0 OR mod(o.id, 101) = 0)"
        " ORDER BY o.id",
        params,
    )


def insert_refills(cur, params: dict) -> int:
    """Refills of finished orders of refill services, in time order."""
    from smmpanel.orders.models import Order, Refill

    return insert(
        cur,
        Refill,
        {
            "order": "r.order_id",
            "user": "r.user_id",
            "status": "CASE WHEN mod(r.order_id, 5) = 0 THEN 'rejected' ELSE 'completed' END",
            "created_at": "r.ts",
            "updated_at": "least(%(now)s::timestamptz, r.ts + interval '6 hours')",
        },
        "FROM (SELECT o.id AS order_id, o.user_id, least(%(now)s::timestamptz"
        " - interval '1 hour', o.finished_at + (1 + mod(o.id, 72)) * interval '1 hour')"
        f" AS ts FROM {table(Order)} o JOIN unnest(%(svc_id)s::bigint[],"
        " %(svc_refill)s::boolean[]) AS s(id, refill) ON s.id = o.service_id"
        " AND s.refill WHERE o.id >= %(o0)s AND mod(o.id, 97) = 0"
        " AND o.status IN ('completed', 'partial')"
        " AND o.finished_at < %(now)s::timestamptz - interval '1 day') r"
        " ORDER BY r.ts",
        params,
    )


def insert_refill_submissions(cur, params: dict) -> int:
    """The finished provider submission of each generated refill."""
    from smmpanel.orders.models import Refill
    from smmpanel.providers.models import RefillSubmission

    return insert(
        cur,
        RefillSubmission,
        {
            "refill": "r.id",
            "provider": "%(provider)s::bigint",
            "provider_refill_id": "(r.id + 9000000)::text",
            "state": "'done'",
            "attempts": "1",
            "next_attempt_at": "r.created_at",
            "error": "''",
            "updated_at": "r.updated_at",
        },
        f"FROM {table(Refill)} r WHERE r.id >= %(r0)s",
        params,
    )
