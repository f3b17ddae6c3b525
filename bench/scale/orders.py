"""The generated orders.

**Orders** over the last 365 days, ids in time order, volume growing from 1x to 3x over
the year; services from the existing catalog (``sources.py``), a quantity within the
service's limits, the charge exactly as ``money.charge_for`` (rate × quantity /
1000, half-up, at least one micro). Links are real links of the service's link format
(``https://www.instagram.com/p/…/``; see ``links.py``). Each user re-orders on a pool of
500 targets (the big user has ~12 orders per service and link); an order still running
always has a target of its own, so no two active orders share a link.

**Statuses** by age: orders older than two days are final (85% Completed, 8% Partial
with remains, 7% Canceled); younger ones are increasingly still In progress (1% of those
Processing), the last minute Pending; ~0.05% of the last week held in Review and ~0.05%
Fail. About 41,000 orders are active at the end of a full fill.

Orders are inserted in time order, in chunks (``%(g0)s`` … ``%(g1)s`` of the
``generate_series`` numbering), each chunk seeded of its own.
"""

from __future__ import annotations

from .links import link_case
from .sql import insert

SPAN_DAYS = 365
TARGET_POOL = 500  # targets each user re-orders on
ACTIVE_WINDOW_S = 2 * 86400  # younger orders may still run
QUANTITIES = (100, 100, 200, 250, 500, 500, 1000, 1000, 2000, 5000, 10000, 50000)

ORDERS_FROM = """
FROM (
  SELECT l3.*, {raw} AS link, {canonical} AS canonical
  FROM (
    SELECT l2.*,
      md5(l2.user_id::text || ':' || CASE WHEN l2.status IN ('completed', 'partial', 'canceled')
          THEN floor(l2.r_tgt * %(pool)s)::bigint::text ELSE 'n' || l2.g::text END) AS h,
      CASE WHEN l2.status IN ('completed', 'partial', 'canceled') THEN least(
          %(now)s::timestamptz - interval '1 second',
          l2.created_at + (300 + floor(-ln(1 - l2.r_dur) * 36000)) * interval '1 second')
      END AS fin
    FROM (
      SELECT l1.*,
        CASE
          WHEN l1.age < %(week)s AND l1.r_x < 0.0005 THEN 'review'
          WHEN l1.age < %(week)s AND l1.r_x < 0.001 THEN 'fail'
          WHEN l1.age < 60 THEN 'pending'
          WHEN l1.age < 3600 OR l1.r_st < 1 - l1.age / %(active_window)s
            THEN CASE WHEN l1.r_x > 0.99 THEN 'processing' ELSE 'in_progress' END
          WHEN l1.r_fin < 0.85 THEN 'completed'
          WHEN l1.r_fin < 0.93 THEN CASE WHEN l1.q > 1 THEN 'partial' ELSE 'completed' END
          ELSE 'canceled'
        END AS status
      FROM (
        SELECT l0.*,
          CASE WHEN l0.big THEN %(u0)s::bigint
               ELSE %(u0)s::bigint + 1 + floor((%(users)s - 1) * l0.r_user * l0.r_user)::bigint
          END AS user_id,
          extract(epoch FROM %(now)s::timestamptz - l0.created_at)::float8 AS age,
          CASE WHEN (%(svc_pkg)s::boolean[])[l0.si] THEN 1
               ELSE least((%(svc_max)s::int[])[l0.si], greatest((%(svc_min)s::int[])[l0.si],
                          (%(quantities)s::int[])[1 + floor(l0.r_q * %(n_quantities)s)::int]))
          END AS q
        FROM (
          SELECT g,
            %(start)s::timestamptz
              + (sqrt(1 + 8 * (g::float8 / %(n)s)) - 1) / 2 * %(span)s * interval '1 second'
              AS created_at,
            (g * %(b)s / %(n)s) > ((g - 1) * %(b)s / %(n)s) AS big,
            width_bucket(random(), %(svc_cum)s::float8[]) AS si,
            random() AS r_user, random() AS r_tgt, random() AS r_st, random() AS r_fin,
            random() AS r_q, random() AS r_rem, random() AS r_dur, random() AS r_x,
            random() AS r_sc, random() AS r_src
          FROM generate_series(%(g0)s::bigint, %(g1)s::bigint) AS g
          OFFSET 0
        ) l0 OFFSET 0
      ) l1 OFFSET 0
    ) l2 OFFSET 0
  ) l3 OFFSET 0
) o
"""

_PKG = "(%(svc_pkg)s::boolean[])[o.si]"
_RATE = "(%(svc_rate)s::bigint[])[o.si]"
ORDER_VALUES = {
    "id": "%(o0)s::bigint + o.g - 1",
    "user": "o.user_id",
    "service": "(%(svc_id)s::bigint[])[o.si]",
    "link": "o.link",
    "canonical_link": "o.canonical",
    "link_key": "left(encode(sha256(convert_to(o.canonical, 'UTF8')), 'hex'), 40)",
    "quantity": "o.q",
    "runs": "NULL",
    "interval": "NULL",
    "params": "'{}'::jsonb",
    "charge_micros": f"CASE WHEN {_PKG} THEN {_RATE}"
                     f" ELSE greatest(1, (2 * {_RATE} * o.q + 1000) / 2000) END",
    "currency": "%(currency)s",
    "status": "o.status",
    # a cancel of a not-yet-sent order (withdrawn) never started: start_count 0
    "start_count": "CASE WHEN o.status IN ('pending', 'review', 'fail')"
                   " OR (o.status = 'canceled' AND o.r_rem < 0.3) THEN 0"
                   " ELSE 1 + floor(o.r_sc * 100000)::bigint END",
    "remains": "CASE o.status WHEN 'completed' THEN 0"
               " WHEN 'partial' THEN 1 + floor(o.r_rem * (o.q - 1))::bigint"
               " WHEN 'in_progress' THEN greatest(1, ceil(o.r_rem * o.q))::bigint"
               " WHEN 'processing' THEN greatest(1, ceil(o.r_rem * o.q))::bigint"
               " ELSE o.q END",
    "source": "CASE WHEN o.user_id < %(u0)s::bigint + %(resellers)s"
              " THEN CASE WHEN o.r_src < 0.9 THEN 'api' ELSE 'web' END"
              " ELSE CASE WHEN o.r_src < 0.25 THEN 'api' ELSE 'web' END END",
    "cancel_requested_at": "CASE WHEN o.status = 'canceled' AND o.r_rem < 0.3"
                           " THEN o.fin - interval '10 seconds' END",
    "finished_at": "o.fin",
    "created_at": "o.created_at",
    "updated_at": "coalesce(o.fin, o.created_at + interval '2 seconds')",
}  # fmt: skip


def orders_from() -> str:
    """``ORDERS_FROM`` with the link ``CASE``s of the services' link formats."""
    return ORDERS_FROM.format(
        raw=link_case("(%(svc_fmt)s::text[])[l3.si]", 0),
        canonical=link_case("(%(svc_fmt)s::text[])[l3.si]", 1),
    )


def chunk_starts(orders: int, chunk: int) -> list[int]:
    """The first order number of each chunk."""
    return list(range(1, orders + 1, chunk))


def write_chunks(
    cur, steps, params: dict, starts: list[int], *, orders: int, chunk: int, seed: float
) -> None:
    """Write the chunks of orders that begin at ``starts``, each one a step, seeded by
    its place in the fill (so a chunk is the same whichever lane writes it)."""
    from smmpanel.orders.models import Order

    tail = orders_from()
    for g0 in starts:
        g1 = min(orders, g0 + chunk - 1)
        cur.execute("SELECT setseed(%s)", [(seed + g0 / orders) % 1])
        lp = dict(params, g0=g0, g1=g1)
        steps.run(f"orders {g0:,}-{g1:,}", lambda lp=lp: insert(cur, Order, ORDER_VALUES, tail, lp))
