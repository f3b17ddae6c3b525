"""Where the rest of the panel asks the policy: one function per decision point.

Each gathers the facts its rules read (history counts lazily, only when a rule asks),
lets the engine decide, records the decision and applies escalations (API limitation,
account restriction). Callers act on the returned verdict.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil
from urllib.parse import unquote

from django.db.models import Q
from django.utils import timezone, translation

from smmpanel.audit.models import Decision
from smmpanel.catalog.links import BadLink, canonicalise
from smmpanel.money import format_amount
from smmpanel.policy import engine, rule_cache, rulebook, services
from smmpanel.policy.facts import Facts
from smmpanel.policy.link_checkers import target_state
from smmpanel.policy.models import ApiLimit, DenyEntry, KeySighting, Outcome, Restriction
from smmpanel.policy.rate_limit import take_all
from smmpanel.policy.refusal_history import OrderHistory, count_refusals, invalid_orders_until
from smmpanel.unicode_text import skeleton

VALIDATION_RULE = "order.invalid"
INELIGIBLE_REFILL_RULE = "refill.ineligible"
TEXT_PARAMS = ("comments", "usernames", "hashtags", "hashtag", "username", "keywords", "groups")


def active_restrictions(user, level: str | None = None):
    now = timezone.now()
    rows = Restriction.objects.filter(user=user, lifted_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    return rows.filter(level=level) if level else rows


def _restriction_reason(user, level: str, api_key=None) -> str | None:
    if not user.policy_limited:
        return None  # no restriction was ever left unlifted: nothing to read
    rows = active_restrictions(user, level)
    rows = (
        rows.filter(Q(api_key__isnull=True) | Q(api_key=api_key))
        if api_key
        else rows.filter(api_key__isnull=True)
    )
    row = rows.only("reason").first()
    return row.reason if row else None


def _since(**delta) -> object:
    return timezone.now() - timedelta(**delta)


def order_facts(user, service, checked, *, api_key=None) -> Facts:
    """What the order rules read about one order about to be placed."""
    fmt = service.link_format_spec
    link = checked.canonical
    history = OrderHistory(user, link)
    return Facts(
        {
            "link_fits": checked.link_fits,
            "link_expected": _in_language("en", fmt.label),
            "link_expected_uk": _in_language("uk", fmt.label),
            "link_example": fmt.example,
            "link_host": link.host,
            "charge_micros": checked.charge_micros,
            "charge_text": f"{format_amount(checked.charge_micros)}",
        },
        {
            "restriction_ordering": lambda: _restriction_reason(user, "ordering"),
            "balance_frozen": lambda: user.wallet.frozen,
            "target_state": lambda: target_state(link, service, history.recorded_state),
            "deny_match": lambda: deny_match(link.url, link.host),
            "sensitive_terms": lambda: sensitive_terms(checked.params),
            "invalid_orders": history.invalid_orders,
            "invalid_orders_until": lambda minutes, below: invalid_orders_until(
                user, minutes, below
            ),
        },
    )


def _in_language(language: str, text) -> str:
    """A label in ``language`` whatever the request's: each message is worded in one
    language, the English one being what the audit log keeps."""
    with translation.override(language):
        return str(text)


def check_order(user, service, checked, *, api_key=None) -> engine.Verdict:
    """Decide on an order before it is charged. A refusal is recorded (and escalated)
    here; an order that goes ahead records its hits with ``record_placed``."""
    verdict = engine.evaluate(
        rulebook.ORDER_PLACE, order_facts(user, service, checked, api_key=api_key)
    )
    if not verdict.allowed:
        engine.record(verdict, user=user, api_key=api_key)
        escalate(verdict, user, api_key)
    return verdict


def record_placed(verdict: engine.Verdict, order, *, api_key=None) -> None:
    """Record the hits (review, shadow) of an order that was placed, linked to it."""
    engine.record(verdict, user=order.user, api_key=api_key, order=order)


def record_invalid_order(
    user, message: str, *, api_key=None, inputs: dict | None = None, rule: str = VALIDATION_RULE
) -> None:
    """A refused order request (bad link, quantity, duplicate…): counted by
    ``abuse.invalid_orders``."""
    Decision.objects.create(
        point=rulebook.ORDER_PLACE,
        rule_code=rule,
        outcome=Outcome.REJECT,
        user=user,
        api_key=api_key,
        inputs=inputs or {},
        reason=message[:1000],
    )


def check_refill(user, order) -> engine.Verdict:
    facts = Facts(
        {},
        {
            "restriction_ordering": lambda: _restriction_reason(user, "ordering"),
            "target_state": lambda: target_state_of_order(order),
            "ineligible_refills": lambda minutes: count_refusals(
                user, rulebook.ORDER_REFILL, minutes
            ),
        },
    )
    verdict = engine.decide(rulebook.ORDER_REFILL, facts, user=user, order=order)
    escalate(verdict, user, None)
    return verdict


def record_ineligible_refill(user, order, message: str) -> None:
    """A refill asked for an order that cannot have one ("fake dispute" when repeated)."""
    Decision.objects.create(
        point=rulebook.ORDER_REFILL,
        rule_code=INELIGIBLE_REFILL_RULE,
        outcome=Outcome.REJECT,
        user=user,
        order=order,
        inputs={"order_status": order.status},
        reason=message[:1000],
    )


def check_cancel(user, order) -> engine.Verdict:
    facts = Facts({}, {"restriction_ordering": lambda: _restriction_reason(user, "ordering")})
    return engine.decide(rulebook.ORDER_CANCEL, facts, user=user, order=order)


DUPLICATE_TICKET_RULE = "ticket.duplicate"
DUPLICATE_TICKET_WINDOW_DAYS = 30


def check_ticket(
    user,
    *,
    open_ticket_on_subject: Callable[[datetime], int | None],
    tickets_opened_since: Callable[[datetime], int],
) -> engine.Verdict:
    """Decide on a new support ticket before it is opened: a second ticket on the same
    subject as an open one (``ticket.duplicate``, active within the rule's
    ``window_days``) and ticket floods (``ticket.flood``) are refused and recorded.

    The support app passes its two reads, each from a moment on: the open ticket on the
    new ticket's subject (its id, or None) and the number of tickets the user opened;
    the rules decide how far back they look."""
    rules = engine.rules_for(rulebook.TICKET_CREATE)
    row_thresholds = next((r.thresholds for s, r in rules if s.code == DUPLICATE_TICKET_RULE), None)
    days = int((row_thresholds or {}).get("window_days", DUPLICATE_TICKET_WINDOW_DAYS))
    facts = Facts(
        {},
        {
            "open_ticket_same_subject": lambda: open_ticket_on_subject(_since(days=days)),
            "tickets_recent": lambda minutes: tickets_opened_since(_since(minutes=minutes)),
        },
    )
    verdict = engine.evaluate(rulebook.TICKET_CREATE, facts, rules=rules)
    engine.record(verdict, user=user)
    escalate(verdict, user, None)
    return verdict


def login_block_reason(user) -> str | None:
    """The reason of an active login restriction (if its rule is on), else None."""
    if not engine.rule_enabled("account.login_blocked"):
        return None
    return _restriction_reason(user, "login")


def check_login(user) -> engine.Verdict:
    facts = Facts({}, {"restriction_login": lambda: _restriction_reason(user, "login")})
    return engine.decide(rulebook.LOGIN, facts, user=user)


@dataclass(frozen=True)
class ApiGate:
    verdict: engine.Verdict
    retry_after: int
    limit_per_minute: int

    @property
    def refused(self) -> bool:
        return not self.verdict.allowed


def check_api_request(api_key, ip: str | None) -> ApiGate:
    """Rate limits and API restrictions for one API v2 request."""
    user = api_key.user
    rules = engine.rules_for(rulebook.API_REQUEST)
    spec = rulebook.BY_CODE["api.rate"]
    row_thresholds = next((r.thresholds for s, r in rules if s.code == spec.code), None)
    thresholds = {**spec.thresholds, **(row_thresholds or {})}
    key_rate, account_rate = _api_rates(api_key, thresholds)
    burst = int(thresholds.get("burst", 60))
    state = {"retry_after": 0.0}

    def retry_after() -> int | None:
        # A lowered rate (an API limitation of 2 a minute) lowers the burst with it.
        wait = take_all(
            [
                (f"key:{api_key.pk}", key_rate, min(burst, key_rate)),
                (f"user:{user.pk}", account_rate, min(burst * 2, account_rate)),
            ]
        )
        state["retry_after"] = wait
        return ceil(wait) if wait > 0 else None

    facts = Facts(
        {},
        {
            "api_blocked": lambda: _api_blocked_reason(user, api_key, key_rate),
            "rate_retry_after": retry_after,
            "key_ips_last_hour": lambda: _ip_spread(api_key, ip),
        },
    )
    verdict = engine.evaluate(rulebook.API_REQUEST, facts, rules=rules)
    _record_api_verdict(verdict, user, api_key)
    return ApiGate(verdict, ceil(state["retry_after"]), key_rate)


def _api_rates(api_key, thresholds: dict) -> tuple[int, int]:
    key_rate = int(thresholds.get("key_per_minute", 600))
    account_rate = int(thresholds.get("account_per_minute", 1200))
    if not api_key.user.policy_limited:
        return key_rate, account_rate
    now = timezone.now()
    limits = ApiLimit.objects.filter(user=api_key.user, lifted_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    for limit in limits:
        if limit.api_key_id in (None, api_key.pk):
            key_rate = min(key_rate, limit.per_minute)
            if limit.api_key_id is None:
                account_rate = min(account_rate, limit.per_minute)
    return key_rate, account_rate


def _api_blocked_reason(user, api_key, key_rate: int) -> str | None:
    reason = _restriction_reason(user, "api", api_key)
    if reason:
        return reason
    if key_rate <= 0:
        limit = ApiLimit.objects.filter(user=user, per_minute=0, lifted_at__isnull=True).first()
        return limit.reason if limit else "API access is limited"
    return None


def _ip_spread(api_key, ip: str | None) -> int:
    """Distinct addresses in the last hour, counted only when a new address shows up."""
    if not ip or ip == api_key.last_used_ip:
        return 0
    now = timezone.now()
    KeySighting.objects.update_or_create(api_key=api_key, ip=ip, defaults={"last_seen": now})
    return KeySighting.objects.filter(api_key=api_key, last_seen__gte=_since(hours=1)).count()


def _record_api_verdict(verdict: engine.Verdict, user, api_key) -> None:
    """Record API hits, at most one per rule and key per minute (a flood must not
    become a flood of audit rows)."""
    recent = (
        set(
            Decision.objects.filter(
                api_key=api_key, point=rulebook.API_REQUEST, created_at__gte=_since(minutes=1)
            ).values_list("rule_code", flat=True)
        )
        if verdict.hits
        else set()
    )
    verdict_to_record = engine.Verdict(
        verdict.point, [h for h in verdict.hits if h.code not in recent]
    )
    engine.record(verdict_to_record, user=user, api_key=api_key)


def deny_match(url: str, host: str) -> str | None:
    """The deny-list entry a link falls under, described for the user, or None.

    ``url`` is the canonical link (``catalog.links.canonicalise``, the form the
    one-active-order rule compares too) and URL entries are put in the same form, so an
    escape (``%70age``) or a dot segment (``x/../``) cannot dodge an entry. Hosts were
    lower-cased by it; paths keep their case, as the canonical form does. Keywords are
    words, found in any case in the link with every escape decoded.
    """
    words = unquote(url).lower()
    for kind, value in rule_cache.active_deny_entries():
        if kind == DenyEntry.Kind.TERM:
            continue
        needle = _canonical_entry(kind, value.strip())
        if not needle:
            continue
        if kind == DenyEntry.Kind.DOMAIN and (host == needle or host.endswith("." + needle)):
            return f"blocked domain {needle}"
        if kind == DenyEntry.Kind.URL and url.startswith(needle.rstrip("/")):
            return "blocked address"
        if kind == DenyEntry.Kind.KEYWORD and needle in words:
            return f"blocked keyword {needle}"
    return None


def _canonical_entry(kind: str, value: str) -> str:
    """A domain or URL entry in the form links are compared in (canonical links drop
    ``www.``, add ``https://``, decode escapes…), so an entry matches whatever spelling
    staff typed; a keyword in lower case."""
    if kind not in (DenyEntry.Kind.DOMAIN, DenyEntry.Kind.URL) or not value:
        return value.lower()
    try:
        link = canonicalise(value)
    except BadLink:
        return value.lower()
    return link.host if kind == DenyEntry.Kind.DOMAIN else link.url


def sensitive_terms(params: dict) -> list[str]:
    """Configured sensitive terms found in the text, compared as skeletons
    (``unicode_text.skeleton``): case, zero-width characters, fullwidth forms and
    Cyrillic or Greek look-alike letters do not hide a term."""
    text = skeleton(" ".join(str(params.get(p, "")) for p in TEXT_PARAMS))
    if not text.strip():
        return []
    terms = [v for k, v in rule_cache.active_deny_entries() if k == DenyEntry.Kind.TERM]
    return sorted({t for t in terms if skeleton(t).strip() and skeleton(t).strip() in text})


def target_state_of_order(order) -> str | None:
    """What the checkers (built-in and operator hooks) know about an order's target."""
    try:
        link = canonicalise(order.canonical_link)
    except BadLink:
        return None
    return target_state(link, order.service)


def escalate(verdict: engine.Verdict, user, api_key) -> None:
    """Apply what an escalating outcome means beyond refusing this one request."""
    hit = verdict.deciding
    if hit is None:
        return
    if verdict.outcome == Outcome.LIMIT:
        services.limit_api(user, 0, reason=hit.message_en, minutes=60, rule_code=hit.code)
    elif verdict.outcome == Outcome.RESTRICT:
        services.restrict(
            user, Restriction.Level.ORDERING, reason=hit.message_en, rule_code=hit.code
        )
