"""One-time form tokens: a form whose POST answers with something that cannot be shown
twice (a new API key's plaintext) is answered directly, not through a redirect, so
nothing secret waits in the session; the browser's "resubmit" on reload then sends the
same form again, and its token, already spent, makes that a no-op."""

import secrets

from django.http import HttpRequest

# Tokens a session may hold for one form at once (tabs open on it); the oldest go first.
KEPT = 10


def issue(request: HttpRequest, form: str) -> str:
    """A new token for one sending of ``form``, kept in the session until spent."""
    token = secrets.token_urlsafe(16)
    key = _key(form)
    request.session[key] = [*request.session.get(key, [])[-(KEPT - 1) :], token]
    return token


def spend(request: HttpRequest, form: str, token: str) -> bool:
    """True the first time ``token`` comes back for ``form``; False when it was spent
    already (a resent form), never issued, or missing."""
    key = _key(form)
    kept = request.session.get(key, [])
    if not token or token not in kept:
        return False
    request.session[key] = [t for t in kept if t != token]
    return True


def _key(form: str) -> str:
    return f"web.form_tokens.{form}"
