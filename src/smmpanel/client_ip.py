"""The client's address, as every per-address limit reads it: the API's invalid-key
limiter and key IP-spread rule, and allauth's login limits (``AccountAdapter``).

``TRUSTED_PROXY_COUNT`` (settings) is how many reverse proxies under the operator's
control stand in front of the panel. With 0 the peer (``REMOTE_ADDR``) is the client and
``X-Forwarded-For`` is ignored: anyone can send one. With N, each of those proxies has
appended the address it was reached from, so the client is the Nth entry from the right;
entries further left were written by the client and are never read.

allauth has the same reading (``ALLAUTH_TRUSTED_PROXY_COUNT``) but answers a header
shorter than N with an error page (ImproperlyConfigured), and a request that did not come
through every proxy can send one; here it is answered by the peer address instead.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address for per-address limits (None only without a peer address)."""
    peer = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return peer
    hops = forwarded.split(",")
    if len(hops) < proxies:
        return peer  # not through every trusted proxy: no entry in it is theirs
    # An entry our own proxy wrote is an address; anything else falls back to the peer
    # (the proxy itself), which is stricter, never looser.
    return _address(hops[-proxies]) or peer


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None
