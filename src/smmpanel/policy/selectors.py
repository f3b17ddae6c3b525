"""Reads for the policy: what is in force, account notices and the audit log."""

from string import Formatter

from django.db.models import Q, QuerySet
from django.utils import timezone

from smmpanel.audit.models import Decision
from smmpanel.policy import engine, rule_cache, rulebook
from smmpanel.policy.models import ApiLimit, BalanceReview, Restriction


def in_force(rows: QuerySet) -> QuerySet:
    """The restrictions or API limits of ``rows`` neither lifted nor expired."""
    return rows.filter(lifted_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )


def notices_for(user) -> dict[str, list]:
    """What a customer must be told about their account: restrictions, reviews, limits.

    Restrictions and limits are read only for accounts flagged ``policy_limited``.
    """
    limited = user.policy_limited
    return {
        "restrictions": list(in_force(Restriction.objects.filter(user=user))) if limited else [],
        "balance_reviews": list(BalanceReview.objects.filter(user=user, closed_at__isnull=True)),
        "api_limits": list(in_force(ApiLimit.objects.filter(user=user))) if limited else [],
    }


def search_decisions(
    *, email: str = "", rule: str = "", point: str = "", order: str = ""
) -> QuerySet[Decision]:
    """The audit log filtered by account email, rule code (prefix), point or order id."""
    rows = Decision.objects.select_related("user", "actor")
    if email.strip():
        rows = rows.filter(user__email__icontains=email.strip())
    if rule.strip():
        rows = rows.filter(rule_code__startswith=rule.strip())
    if point.strip():
        rows = rows.filter(point=point.strip())
    if order.strip().isdigit():
        rows = rows.filter(order_id=int(order.strip()))
    return rows


def thresholds_in_force(code: str) -> dict:
    """Rule ``code``'s thresholds as the panel applies them: the rule's defaults with
    what staff stored over them (shown on the policy page)."""
    row = rule_cache.rule_rows().get(code)
    return {**rulebook.BY_CODE[code].thresholds, **((row.thresholds or {}) if row else {})}


def decision_reason(decision: Decision, language: str) -> str:
    """Why ``decision`` was taken, in ``language``: a rule's decision in its rule's words
    filled with the values it was decided with (so a Ukrainian customer's refusal reads
    in English for an English-speaking moderator); a staff action or a refused input as
    it was written. A decision taken under an earlier version of its rule, or stored
    before its values were kept, reads as stored: an audit record never shows words the
    customer was not told."""
    spec = rulebook.BY_CODE.get(decision.rule_code)
    row = rule_cache.rule_rows().get(decision.rule_code)
    if spec is None or row is None or decision.actor_id is not None:
        return decision.reason
    if decision.rule_version != row.version:
        return decision.reason  # the rule was reworded since: the words it was told in
    template = row.message_uk if language.lower().startswith("uk") else row.message_en
    wanted = {name for _text, name, _spec, _conv in Formatter().parse(template) if name}
    if not wanted <= set(decision.details or {}):
        return decision.reason
    return engine.fill_message(template, decision.details)
