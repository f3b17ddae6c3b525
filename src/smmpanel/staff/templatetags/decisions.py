"""``{{ decision|reason }}``: a policy decision's reason in the reader's language."""

from django import template
from django.utils import translation

from smmpanel.audit.models import Decision
from smmpanel.policy.selectors import decision_reason

register = template.Library()


@register.filter
def reason(decision: Decision) -> str:
    return decision_reason(decision, translation.get_language() or "en")
