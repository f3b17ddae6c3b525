"""The simulator's service catalog: 22 services of the common API v2 types, plus any
number of generated ones for benchmarks.

Every name starts with ``[SIMULATOR] `` so an imported service can never be mistaken
for a real offer. Rates are the simulated provider's cost per 1000; the panel imports
them with its own markup. The list follows the panel's demo catalog in the same order,
so demo service *n* can be mapped to simulator service *n*.
"""

import json
import random
from dataclasses import dataclass
from decimal import Decimal

NAME_PREFIX = "[SIMULATOR] "

# Types whose quantity is not sent by the client.
PACKAGE_TYPES = frozenset({"package", "custom comments package"})
# Types whose quantity is the number of non-empty lines of one list parameter.
LINES_PARAM = {
    "custom comments": "comments",
    "mentions custom list": "usernames",
    "comment replies": "comments",
}
# Parameters each type cannot do without (besides link and quantity).
REQUIRED_PARAMS = {
    "custom comments": ("comments",),
    "custom comments package": ("comments",),
    "mentions custom list": ("usernames",),
    "mentions with hashtags": ("usernames", "hashtags"),
    "mentions hashtag": ("hashtag",),
    "mentions user followers": ("username",),
    "mentions media likers": ("media",),
    "comment likes": ("username",),
    "comment replies": ("username", "comments"),
    "poll": ("answer_number",),
    "invites from groups": ("groups",),
    "seo": ("keywords",),
    "subscriptions": ("username", "min", "max", "posts"),
}


@dataclass(frozen=True, slots=True)
class SimService:
    """One service the simulated provider sells."""

    id: int
    name: str
    type: str
    category: str
    rate: str  # per 1000, as the API shows it
    min: int
    max: int
    refill: bool
    cancel: bool
    dripfeed: bool

    @property
    def rate_decimal(self) -> Decimal:
        return Decimal(self.rate)

    @property
    def type_slug(self) -> str:
        return self.type.lower()

    def as_api(self) -> dict:
        """The service as one row of the ``services`` answer."""
        return {
            "service": self.id,
            "name": self.name,
            "type": self.type,
            "category": self.category,
            "rate": self.rate,
            "min": str(self.min),
            "max": str(self.max),
            "refill": self.refill,
            "cancel": self.cancel,
            "dripfeed": self.dripfeed,
        }


# (category, name, type, rate, min, max, refill, cancel, dripfeed)
_BASE = [
    ("Instagram Likes", "Instagram Likes — 30 days refill", "Default",
     "0.60", 50, 10000, True, True, True),
    ("Instagram Likes", "Instagram Likes — fast, no refill", "Default",
     "0.30", 20, 50000, False, True, False),
    ("Instagram Followers", "Instagram Followers — 60 days refill", "Default",
     "1.90", 100, 20000, True, False, True),
    ("Instagram Views", "Instagram Reel Views", "Default",
     "0.03", 100, 1000000, False, True, True),
    ("Instagram Comments", "Instagram Custom Comments", "Custom Comments",
     "8.00", 5, 500, False, False, False),
    ("Instagram Comments", "Instagram Mentions — custom list", "Mentions Custom List",
     "5.50", 10, 1000, False, False, False),
    ("Instagram Packages", "Instagram Starter Package (1000 likes + 100 saves)", "Package",
     "2.40", 1, 1, False, False, False),
    ("Instagram Auto", "Instagram Auto Likes — new posts", "Subscriptions",
     "0.75", 50, 5000, False, False, False),
    ("TikTok Views", "TikTok Views — instant", "Default",
     "0.012", 100, 10000000, False, True, True),
    ("TikTok Likes", "TikTok Likes — 30 days refill", "Default",
     "0.50", 50, 100000, True, True, False),
    ("TikTok Followers", "TikTok Followers", "Default",
     "2.20", 100, 50000, True, False, False),
    ("TikTok Comments", "TikTok Custom Comments", "Custom Comments",
     "10.00", 5, 300, False, False, False),
    ("YouTube Views", "YouTube Views — retention 1-3 min", "Default",
     "1.10", 500, 1000000, True, True, True),
    ("YouTube Likes", "YouTube Likes", "Default",
     "1.40", 50, 50000, True, True, False),
    ("YouTube Subscribers", "YouTube Subscribers — 30 days refill", "Default",
     "12.00", 100, 10000, True, False, False),
    ("YouTube Comments", "YouTube Custom Comments", "Custom Comments",
     "14.00", 5, 200, False, False, False),
    ("Telegram Views", "Telegram Post Views — last post", "Default",
     "0.02", 100, 500000, False, True, True),
    ("Telegram Members", "Telegram Channel Members", "Default",
     "1.30", 100, 50000, True, False, False),
    ("Telegram Polls", "Telegram Poll Votes", "Poll",
     "0.55", 50, 20000, False, False, False),
    ("X Likes", "X Post Likes", "Default",
     "0.80", 20, 20000, False, True, False),
    ("X Followers", "X Followers — 30 days refill", "Default",
     "3.00", 100, 20000, True, False, False),
    ("Website Traffic", "Website Visitors — worldwide", "Web Traffic",
     "0.40", 500, 1000000, False, True, True),
]  # fmt: skip

_BENCH_KINDS = [
    ("Instagram", "Likes"),
    ("Instagram", "Followers"),
    ("TikTok", "Views"),
    ("TikTok", "Likes"),
    ("YouTube", "Views"),
    ("YouTube", "Subscribers"),
    ("Telegram", "Post Views"),
    ("Telegram", "Members"),
    ("X", "Likes"),
    ("Website", "Traffic"),
]


def base_services() -> list[SimService]:
    """The fixed catalog: ids 1–22, several types over six platforms."""
    services = []
    for number, (category, name, stype, *terms) in enumerate(_BASE, start=1):
        services.append(SimService(number, NAME_PREFIX + name, stype, category, *terms))
    return services


def generated_services(count: int, seed: int, first_id: int) -> list[SimService]:
    """``count`` plain Default services for catalog-size benchmarks, the same for a seed."""
    rng = random.Random(f"{seed}:services")
    made = []
    for number in range(count):
        platform, kind = _BENCH_KINDS[number % len(_BENCH_KINDS)]
        low = rng.choice((10, 20, 50, 100, 500))
        made.append(
            SimService(
                id=first_id + number,
                name=f"{NAME_PREFIX}{platform} {kind} — generated #{number + 1}",
                type="Default",
                category=f"{platform} {kind}",
                rate=f"{rng.randint(1, 2000) / 100:.2f}",
                min=low,
                max=low * rng.choice((100, 1000, 10000)),
                refill=rng.random() < 0.5,
                cancel=rng.random() < 0.5,
                dripfeed=rng.random() < 0.3,
            )
        )
    return made


class Catalog:
    """The services by id, with the ``services`` answer encoded once (it is large at 5,000)."""

    def __init__(self, services: list[SimService]):
        self.by_id = {s.id: s for s in services}
        self.services_json = json.dumps(
            [s.as_api() for s in services], separators=(",", ":"), ensure_ascii=False
        ).encode()

    def __len__(self) -> int:
        return len(self.by_id)

    def get(self, raw: object) -> SimService | None:
        """The service for an id as a client sends it (int or digit string), else None."""
        text = str(raw).strip() if raw is not None and not isinstance(raw, bool) else ""
        if not (text.isascii() and text.isdigit() and len(text) <= 18):
            return None
        return self.by_id.get(int(text))


def build_catalog(extra: int = 0, seed: int = 0) -> Catalog:
    """The base catalog plus ``extra`` generated services numbered right after it."""
    services = base_services()
    services += generated_services(extra, seed, first_id=len(services) + 1)
    return Catalog(services)
