"""Customer links: canonical form and shape check against a service's link format.

The same target is recognised across spellings (``http://WWW.Instagram.com/p/X/?igsh=…``,
``instagram.com/p/%58``, ``instagram.com/q/../p/X`` and ``instagram.com/p/X``), so neither
the one-active-order rule nor the deny list (policy/decision_points.py) can be dodged by retyping
a link: both compare this one canonical form. Following RFC 3986 (6.2.2), the host is
lower-cased, percent-escapes of unreserved characters are decoded (the rest upper-cased,
other characters escaped as UTF-8) and dot segments are resolved; the path keeps its
case, since post ids are case-sensitive. Links are never fetched.
"""

import hashlib
import re
import string
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from django.utils.translation import gettext as _

from smmpanel.catalog.link_formats import LINK_FORMATS, PLATFORM_HOSTS, LinkFormat
from smmpanel.unicode_text import has_format_characters

MAX_LINK_LENGTH = 2000

# Query parameters that only say where a click came from, never which target it is.
TRACKING_PARAMS = frozenset(
    {
        "igshid",
        "igsh",
        "fbclid",
        "gclid",
        "dclid",
        "yclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "si",
        "feature",
        "ref",
        "ref_src",
        "ref_url",
        "s",
        "t",
        "pp",
        "ab_channel",
        "is_from_webapp",
        "sender_device",
        "sender_web_id",
        "_r",
        "_t",
        "share_app_id",
        "share_link_id",
        "utm_id",
        "img_index",
        "embed_source",
    }
)
# Host spellings of one platform: mobile and legacy domains fold into the canonical host.
HOST_ALIASES = {
    "twitter.com": "x.com",
    "mobile.twitter.com": "x.com",
    "telegram.me": "t.me",
    "telegram.dog": "t.me",
    "m.tiktok.com": "tiktok.com",
    "m.youtube.com": "youtube.com",
    "music.youtube.com": "youtube.com",
    "youtube-nocookie.com": "youtube.com",
    "instagr.am": "instagram.com",
    "m.facebook.com": "facebook.com",
}
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
# On a platform's hosts the target lives in the path; only a parameter a link format
# reads (YouTube's ``v``) names one, so every other one is dropped (``/p/X/?a=1`` is
# ``/p/X``). Other sites keep their parameters: a page may be chosen by one.
TARGET_PARAMS = {
    host: frozenset(f.query_param for f in LINK_FORMATS if host in f.hosts and f.query_param)
    for host in PLATFORM_HOSTS
}
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})?")
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
# Characters a path may hold unescaped (RFC 3986 pchar and "/"); "%" only starts escapes.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"


class BadLink(ValueError):
    """A link that is not a usable public https URL of the expected shape."""


@dataclass(frozen=True)
class CanonicalLink:
    url: str
    host: str
    path: str
    query: dict[str, str]

    @property
    def key(self) -> str:
        """A fixed-width digest of the canonical URL, for indexing."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:40]


def canonicalise(raw: str) -> CanonicalLink:
    """Parse ``raw`` into its canonical https form, or raise ``BadLink`` saying why."""
    text = (raw or "").strip()
    if not text:
        raise BadLink(_("Link is required"))
    if len(text) > MAX_LINK_LENGTH:
        raise BadLink(_("Link is too long (at most %(n)d characters)") % {"n": MAX_LINK_LENGTH})
    if any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise BadLink(_("Link must not contain spaces"))
    if has_format_characters(text):  # they make a link display as another one
        raise BadLink(
            _("Link must not contain invisible characters (zero-width or text-direction marks)")
        )
    if not _SCHEME.match(text):
        text = "https://" + text.lstrip("/")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise BadLink(_("Link is not a valid web address")) from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise BadLink(_("Link must start with https://"))
    if parts.username or parts.password:
        raise BadLink(_("Link must not contain a user name or password"))
    host = _canonical_host(parts.hostname or "")
    if port not in (None, 80, 443):
        raise BadLink(_("Link must not name a port"))
    path = re.sub(r"/{2,}", "/", _normalise_escapes(parts.path) or "/")
    path = _resolve_dot_segments(path)
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    if host == "youtu.be" and len(path) > 1:  # the short form names the same video
        host, query = "youtube.com", {"v": path[1:]}
        path = "/watch"
    else:
        kept = TARGET_PARAMS.get(host)
        query = {
            k: v
            for k, v in parse_qsl(parts.query, keep_blank_values=False)
            if (k in kept if kept is not None else _not_tracking(k))
        }
    query_text = urlencode(sorted(query.items()))
    url = f"https://{host}{'' if path == '/' and not query_text else path}"
    if query_text:
        url += "?" + query_text
    return CanonicalLink(url=url, host=host, path=path, query=query)


def _not_tracking(param: str) -> bool:
    return param.lower() not in TRACKING_PARAMS and not param.lower().startswith("utm_")


def _normalise_escapes(path: str) -> str:
    """One spelling per path: escapes of unreserved characters decoded (``%70`` is
    ``p``), other escapes upper-cased, a stray ``%`` and characters a path cannot hold
    (non-ASCII, ``"``, ``\\``…) escaped, as UTF-8."""

    def one(match: re.Match) -> str:
        digits = match.group(1)
        if digits is None:
            return "%25"  # a "%" that starts no escape is a literal percent sign
        char = chr(int(digits, 16))
        return char if char in _UNRESERVED else "%" + digits.upper()

    return quote(_ESCAPE.sub(one, path), safe=_PATH_SAFE)


def _resolve_dot_segments(path: str) -> str:
    """``/a/./b`` is ``/a/b`` and ``/a/../b`` is ``/b`` (RFC 3986 5.2.4), as browsers
    and servers read them; ``..`` never climbs above the root. (A trailing slash is
    dropped by the caller anyway.)"""
    segments: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if segments:
                segments.pop()
        elif segment != ".":
            segments.append(segment)
    return "/" + "/".join(segments)


def _canonical_host(hostname: str) -> str:
    host = hostname.lower().rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise BadLink(_("Link is not a valid web address")) from exc
    previous = None
    while host != previous:  # to a fixed point: ``www.m.instagram.com`` is instagram.com
        previous = host
        for prefix in ("www.", "m.", "mobile."):
            bare = host.removeprefix(prefix)
            if bare != host and (bare in PLATFORM_HOSTS or bare in HOST_ALIASES):
                host = bare
                break
        else:
            if "." in (bare := host.removeprefix("www.")):  # www.com stays www.com
                host = bare
    if "." not in host or not re.fullmatch(r"[a-z0-9.-]+", host):
        raise BadLink(_("Link is not a valid web address"))
    return HOST_ALIASES.get(host, host)


def fits_format(link: CanonicalLink, fmt: LinkFormat) -> bool:
    """Whether a canonical link has the shape ``fmt`` asks for."""
    return fmt.accepts(link.host, link.path, link.query)


def check_link(raw: str, fmt: LinkFormat) -> CanonicalLink:
    """Canonicalise ``raw`` and check it has the shape ``fmt`` asks for.

    The refusal says which shape is expected, with an example, so a customer who
    picked a post service for a profile link learns what to send instead.
    """
    link = canonicalise(raw)
    if not fits_format(link, fmt):
        raise BadLink(
            _("Link does not fit this service: expected %(label)s, for example %(example)s")
            % {"label": fmt.label, "example": fmt.example}
        )
    return link
