"""``{{ text|api_code }}``: API v2 names in the docs' prose (an action, a field, a
header, written between backticks in the msgid and its translation) shown as code.
They stay English in every language: clients send and read them as they are."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

_TICKED = re.compile(r"`([^`]+)`")


@register.filter
def api_code(text) -> str:
    return mark_safe(_TICKED.sub(r"<code>\1</code>", escape(str(text))))
