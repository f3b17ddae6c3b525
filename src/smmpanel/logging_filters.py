"""Keep secrets out of log lines.

API v2 accepts the key in the query string (``GET /api/v2?key=…&action=balance``), and
a server that logs request lines (``runserver``'s ``django.server`` logger, an access
log) would write it down. ``MaskSecrets`` is attached to the handlers in
``settings.LOGGING``: it rewrites every record that passes through them, masking the
values of secret-looking parameters (``key=``, ``password=``, ``"api_key": "…"``…) and
anything shaped like a panel API key (``smmk_…``).
"""

import logging
import re

MASK = "***"
_NAMES = r"(?:api[_-]?key|key|password|passwd|pass|secret|token|csrfmiddlewaretoken)"
# name=value in a query string or form body (also percent-encoded as in a request line).
_PARAM = re.compile(rf"(?i)(?<![A-Za-z0-9_])({_NAMES}=)[^&\s\"'#]*")
# "name": "value" or 'name': 'value' in JSON or a Python repr.
_QUOTED = re.compile(rf"(?i)([\"']{_NAMES}[\"']\s*:\s*)([\"'])(?:\\.|(?!\2).)*\2")
# A panel API key anywhere: the recognisable prefix and its base62 body.
_PANEL_KEY = re.compile(r"smmk_[0-9A-Za-z]{4,}")


def mask(text: str) -> str:
    """``text`` with the values of secret parameters and panel API keys masked."""
    if not text:
        return text
    text = _PARAM.sub(rf"\g<1>{MASK}", text)
    text = _QUOTED.sub(rf"\g<1>\g<2>{MASK}\g<2>", text)
    return _PANEL_KEY.sub(f"smmk_{MASK}", text)


class MaskSecrets(logging.Filter):
    """Masks secrets in the formatted message of every record; never drops a record.

    The exception text is masked too (formatted once here and cached on the record,
    which is where ``logging.Formatter`` looks for it).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the formatter's problem, not ours
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True
