"""Which public links each service accepts, by platform and target kind.

A service names one link format. The panel only checks a link's *shape* here; it never
fetches the link (that would be talking to the platform on its own behalf).
Hosts are compared after canonicalisation (lowercase, no ``www.``/``m.``).
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class LinkFormat:
    code: str
    platform: str
    label: object  # lazy translated text
    hosts: tuple[str, ...]
    path: re.Pattern | None  # None: any path
    example: str
    query_param: str | None = None  # a target named by a query parameter (YouTube ?v=)

    def accepts(self, host: str, path: str, query: dict[str, str]) -> bool:
        if self.hosts and host not in self.hosts:
            return False
        if self.query_param and path == "/watch":
            return bool(query.get(self.query_param))
        return self.path is None or bool(self.path.fullmatch(path))


def _p(pattern: str) -> re.Pattern:
    return re.compile(pattern)


_USER = r"[A-Za-z0-9._]{1,30}"
_IG_RESERVED = r"(?!(?:p|reel|reels|tv|stories|explore|accounts|direct)(?:/|$))"

LINK_FORMATS: tuple[LinkFormat, ...] = (
    LinkFormat(
        "instagram_post",
        "instagram",
        _("Instagram post or reel link"),
        ("instagram.com",),
        _p(rf"(?:/{_USER})?/(?:p|reel|reels|tv)/[A-Za-z0-9_-]+"),
        "https://www.instagram.com/p/C0dExAmPlE/",
    ),
    LinkFormat(
        "instagram_profile",
        "instagram",
        _("Instagram profile link"),
        ("instagram.com",),
        _p(rf"/{_IG_RESERVED}{_USER}"),
        "https://www.instagram.com/username/",
    ),
    LinkFormat(
        "tiktok_video",
        "tiktok",
        _("TikTok video link"),
        ("tiktok.com", "vm.tiktok.com", "vt.tiktok.com"),
        _p(r"/@[A-Za-z0-9._]{1,40}/(?:video|photo)/\d{5,25}|/[A-Za-z0-9]{6,14}"),
        "https://www.tiktok.com/@username/video/7300000000000000000",
    ),
    LinkFormat(
        "tiktok_profile",
        "tiktok",
        _("TikTok profile link"),
        ("tiktok.com",),
        _p(r"/@[A-Za-z0-9._]{1,40}"),
        "https://www.tiktok.com/@username",
    ),
    LinkFormat(
        "youtube_video",
        "youtube",
        _("YouTube video or Shorts link"),
        ("youtube.com",),
        _p(r"/(?:shorts|live)/[A-Za-z0-9_-]{11}"),
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        query_param="v",
    ),
    LinkFormat(
        "youtube_channel",
        "youtube",
        _("YouTube channel link"),
        ("youtube.com",),
        _p(r"/@[A-Za-z0-9._-]{3,30}|/channel/UC[A-Za-z0-9_-]{22}|/c/[A-Za-z0-9._-]+"),
        "https://www.youtube.com/@channel",
    ),
    LinkFormat(
        "telegram_post",
        "telegram",
        _("Telegram post link"),
        ("t.me",),
        _p(r"/(?:s/)?[A-Za-z][A-Za-z0-9_]{3,31}/\d+"),
        "https://t.me/channel/123",
    ),
    LinkFormat(
        "telegram_channel",
        "telegram",
        _("Telegram channel or group link"),
        ("t.me",),
        _p(r"/[A-Za-z][A-Za-z0-9_]{3,31}|/\+[A-Za-z0-9_-]{10,}|/joinchat/[A-Za-z0-9_-]{10,}"),
        "https://t.me/channel",
    ),
    LinkFormat(
        "x_post",
        "x",
        _("X (Twitter) post link"),
        ("x.com",),
        _p(r"/[A-Za-z0-9_]{1,15}/status/\d{5,25}"),
        "https://x.com/username/status/1700000000000000000",
    ),
    LinkFormat(
        "x_profile",
        "x",
        _("X (Twitter) profile link"),
        ("x.com",),
        _p(r"/[A-Za-z0-9_]{1,15}"),
        "https://x.com/username",
    ),
    LinkFormat(
        "website",
        "web",
        _("website address (https)"),
        (),
        None,
        "https://example.com/page",
    ),
)

_BY_CODE = {f.code: f for f in LINK_FORMATS}
CHOICES = [(f.code, f"{f.code}") for f in LINK_FORMATS]
PLATFORM_HOSTS = frozenset(h for f in LINK_FORMATS for h in f.hosts)


def link_format(code: str) -> LinkFormat:
    return _BY_CODE[code]
