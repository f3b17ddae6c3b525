"""The money of the generated orders: ledger, wallets and deposit requests.

**Money** (the ledger is the truth): each order has its ``charge`` entry at its
creation, each Partial/Canceled order its one ``refund`` entry at its end (the amounts
of ``refund_remains``/``cancel_and_refund``: charge × remains / quantity half-up, or the
whole charge). Deposits fund them: per user and month, confirmed manual deposits (split
in several when above ``MAX_DEPOSIT``) of the month's charges rounded up to whole units
plus a 5-24 unit cushion (from a hash of user and month, so a fill repeats), credited
shortly before that month's first order, each with its ``DepositRequest``
(``confirmed``, decided by the staff user, reference ``B…`` never clashing with the
product's ``D…``). Ledger ids follow time, ``balance_after_micros`` is the running
balance in id order (never negative), and each wallet's balance equals the sum of its
entries: ``smmpanel audit-ledger`` is clean. A few users (1 in 200) also have a pending
deposit request (the staff queue).
"""

from __future__ import annotations

from .sql import insert, table

REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # billing.services._REFERENCE_ALPHABET

LEDGER_FROM = """
FROM (
  SELECT %(l0)s::bigint - 1 + row_number() OVER (ORDER BY ev.ts, ev.ord, ev.seq) AS id,
         sum(ev.amount) OVER (PARTITION BY ev.user_id ORDER BY ev.ts, ev.ord, ev.seq
                              ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS balance,
         ev.*
  FROM (
    SELECT o.user_id, v.ts, v.ord, o.id AS seq, v.kind, v.amount, o.id AS order_id, v.note
      FROM {orders} o, LATERAL (VALUES
        (o.created_at, 1, 'charge', -o.charge_micros, ''),
        (o.finished_at, 2, 'refund', CASE o.status WHEN 'partial'
           THEN (2 * o.charge_micros * o.remains + o.quantity) / (2 * o.quantity)
           ELSE o.charge_micros END, o.status)
      ) AS v(ts, ord, kind, amount, note)
     WHERE o.id >= %(o0)s AND (v.ord = 1 OR o.status IN ('partial', 'canceled'))
    UNION ALL
    SELECT d.user_id, d.first_ts - (60 + 60 * j) * interval '1 second', 0, j, 'deposit',
           ((d.units + d.k - 1) / d.k) * 1000000, NULL, ''
      FROM (
        SELECT m.user_id, m.first_ts, m.units, (m.units + %(cap_units)s - 1) / %(cap_units)s AS k
        FROM (
          SELECT o.user_id, min(o.created_at) AS first_ts,
                 (sum(o.charge_micros)::bigint + 999999) / 1000000
                   + 5 + mod(mod(hashtext(o.user_id || date_trunc('month', o.created_at)::text), 20)
                           + 20, 20)::bigint AS units
            FROM {orders} o WHERE o.id >= %(o0)s
            GROUP BY o.user_id, date_trunc('month', o.created_at)
        ) m
      ) d, generate_series(1, d.k) AS j
  ) ev
) x
ORDER BY x.ts, x.ord, x.seq
"""
# The deposit's reference: 'B' and its ledger id in base 31 (9 digits of REF_ALPHABET).
_REFERENCE = (
    "'B' || (SELECT string_agg(substr(%(alphabet)s, mod(x.id / w.p, 31)::int + 1,"
    " 1), '' ORDER BY w.i) FROM unnest(%(p31)s::bigint[]) WITH ORDINALITY AS w(p, i))"
)
# What every generated deposit request has, confirmed or pending.
_MANUAL_REQUEST = {
    "gateway": "'manual'",
    "currency": "%(currency)s",
    "note": "''",
    "held_credit": "NULL",
}


def insert_ledger(cur, params: dict) -> int:
    """Deposits, charges and refunds in time order, with the running balance."""
    from smmpanel.billing.models import LedgerEntry
    from smmpanel.orders.models import Order

    return insert(
        cur,
        LedgerEntry,
        {
            "id": "x.id",
            "user": "x.user_id",
            "kind": "x.kind",
            "amount_micros": "x.amount",
            "balance_after_micros": "x.balance",
            "order": "x.order_id",
            "memo": f"CASE x.kind WHEN 'deposit' THEN 'deposit ' || {_REFERENCE} || ' (manual)'"
            " WHEN 'charge' THEN 'order ' || x.order_id ELSE x.note END",
            "created_by": "CASE WHEN x.kind = 'deposit' THEN %(staff)s::bigint END",
            "created_at": "x.ts",
        },
        LEDGER_FROM.format(orders=table(Order)),
        params,
    )


def insert_wallets(cur, params: dict) -> int:
    """A wallet per generated user, its balance the sum of its ledger entries."""
    from smmpanel.billing.models import LedgerEntry, Wallet

    return insert(
        cur,
        Wallet,
        {
            "user": "u.id",
            "currency": "%(currency)s",
            "balance_micros": "coalesce(b.total, 0)",
            "frozen": "false",
        },
        "FROM generate_series(%(u0)s::bigint, %(u0)s::bigint + %(users)s - 1) AS u(id)"
        " LEFT JOIN (SELECT user_id, sum(amount_micros)::bigint AS total"
        f" FROM {table(LedgerEntry)} WHERE id >= %(l0)s GROUP BY user_id) b"
        " ON b.user_id = u.id",
        params,
    )


def insert_deposit_requests(cur, params: dict) -> int:
    """The confirmed request of each deposit, then the pending ones (1 user in 200)."""
    return _insert_confirmed_requests(cur, params) + _insert_pending_requests(cur, params)


def _insert_confirmed_requests(cur, params: dict) -> int:
    from smmpanel.billing.models import DepositRequest, LedgerEntry

    return insert(
        cur,
        DepositRequest,
        {
            **_MANUAL_REQUEST,
            "user": "e.user_id",
            "amount_micros": "e.amount_micros",
            "reference": "substr(e.memo, 9, 10)",
            "status": "'confirmed'",
            "created_at": "e.created_at - (1 + mod(e.id, 47)) * interval '1 hour'",
            "decided_at": "e.created_at",
            "decided_by": "%(staff)s::bigint",
            "ledger_entry": "e.id",
        },
        f"FROM {table(LedgerEntry)} e WHERE e.id >= %(l0)s AND e.kind = 'deposit' ORDER BY e.id",
        params,
    )


def _insert_pending_requests(cur, params: dict) -> int:
    from smmpanel.billing.models import DepositRequest

    return insert(
        cur,
        DepositRequest,
        {
            **_MANUAL_REQUEST,
            "user": "%(u0)s::bigint + n - 1",
            "amount_micros": "(10 + mod(n, 90)) * 1000000",
            "reference": "'Q' || lpad(n::text, 9, '0')",
            "status": "'pending'",
            "created_at": "%(now)s::timestamptz - (1 + mod(n, 20)) * interval '1 hour'",
            "decided_at": "NULL",
            "decided_by": "NULL",
            "ledger_entry": "NULL",
        },
        "FROM generate_series(1, %(users)s) AS n WHERE mod(n, 200) = 0",
        params,
    )
