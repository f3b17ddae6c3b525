"""Links of the generated orders: real links of each service's link format, built in SQL
from ``h = md5(user_id || ':' || target)``, with the ``canonical_link`` and ``link_key``
that ``catalog.links.canonicalise`` gives for them. The shapes are checked in Python on
every format before the fill and on a sample of rows after it, so the one-active-order
rule and the link search meet real data.
"""

from __future__ import annotations

import random

from .sql import lit, max_id, table

# (raw link, canonical link) per link format; {t} 11 hex, {u} a username, {n} an 18-digit
# number, {p} a small post number. Checked against catalog.links before every fill.
LINK_SHAPES = {
    "instagram_post": ("https://www.instagram.com/p/{t}/", "https://instagram.com/p/{t}"),
    "instagram_profile": ("https://www.instagram.com/{u}/", "https://instagram.com/{u}"),
    "tiktok_video": ("https://www.tiktok.com/@{u}/video/{n}", "https://tiktok.com/@{u}/video/{n}"),
    "tiktok_profile": ("https://www.tiktok.com/@{u}", "https://tiktok.com/@{u}"),
    "youtube_video": ("https://www.youtube.com/watch?v={t}", "https://youtube.com/watch?v={t}"),
    "youtube_channel": ("https://www.youtube.com/@{u}", "https://youtube.com/@{u}"),
    "telegram_post": ("https://t.me/{u}/{p}", "https://t.me/{u}/{p}"),
    "telegram_channel": ("https://t.me/{u}", "https://t.me/{u}"),
    "x_post": ("https://x.com/{u}/status/{n}", "https://x.com/{u}/status/{n}"),
    "x_profile": ("https://x.com/{u}", "https://x.com/{u}"),
    "website": ("https://www.{u}.example.com/page/{t}", "https://{u}.example.com/page/{t}"),
}
# The same pieces in SQL, from h = md5(user_id || ':' || target).
TOKEN_SQL = {
    "t": "substr(h, 1, 11)",
    "u": "('u' || substr(h, 12, 10))",
    "n": "(100000000000000000 + ('x' || substr(h, 22, 11))::bit(44)::bigint)::text",
    "p": "(1 + mod(('x' || substr(h, 28, 5))::bit(20)::int, 9000))::text",
}


def tokens_of(h: str) -> dict[str, str]:
    """``TOKEN_SQL`` in Python (for checking the link shapes)."""
    return {
        "t": h[0:11],
        "u": "u" + h[11:21],
        "n": str(10**17 + int(h[21:32], 16)),
        "p": str(1 + int(h[27:32], 16) % 9000),
    }


def template_sql(template: str) -> str:
    """``"https://x.com/{u}"`` as a SQL concatenation of literals and ``TOKEN_SQL``."""
    parts, rest = [], template
    while "{" in rest:
        before, _, tail = rest.partition("{")
        name, _, rest = tail.partition("}")
        if before:
            parts.append(lit(before))
        parts.append(TOKEN_SQL[name])
    if rest:
        parts.append(lit(rest))
    return " || ".join(parts)


def link_case(fmt_expr: str, index: int) -> str:
    """A SQL ``CASE`` over the link format ``fmt_expr``: the raw link (``index`` 0) or
    the canonical one (1) of each shape."""
    whens = " ".join(
        f"WHEN {lit(code)} THEN {template_sql(shapes[index])}"
        for code, shapes in LINK_SHAPES.items()
    )
    return f"CASE {fmt_expr} {whens} END"


def check_link_shapes() -> None:
    """Each link shape is what ``catalog.links`` accepts and canonicalises as we store it."""
    import hashlib

    from smmpanel.catalog.link_formats import link_format
    from smmpanel.catalog.links import canonicalise, fits_format

    for code, (raw, canonical) in LINK_SHAPES.items():
        for sample in ("0", "1", "scale", "99999"):
            tokens = tokens_of(hashlib.md5(sample.encode()).hexdigest())
            link = canonicalise(raw.format(**tokens))
            if link.url != canonical.format(**tokens):
                raise RuntimeError(f"{code}: {raw} canonicalises to {link.url}, not {canonical}")
            if not fits_format(link, link_format(code)):
                raise RuntimeError(f"{code}: {link.url} does not fit its link format")


def check_sample_links(cur, first_order_id: int) -> int:
    """Stored canonical links and keys of a sample of orders are what the product makes."""
    from smmpanel.catalog.links import canonicalise
    from smmpanel.orders.models import Order

    last = max_id(cur, Order)
    count = 200 if last >= first_order_id else 0
    ids = [random.randint(first_order_id, last) for _ in range(count)]
    cur.execute(
        f"SELECT link, canonical_link, link_key FROM {table(Order)} WHERE id = ANY(%s)", [ids]
    )
    rows = cur.fetchall()
    for link, canonical, key in rows:
        made = canonicalise(link)
        if (made.url, made.key) != (canonical, key):
            raise RuntimeError(f"generated link {link!r} is stored as {canonical!r}/{key}")
    return len(rows)
