"""The service types of API v2 and the order parameters each one takes.

This table is the single source for the ``add`` action's validation, the new-order
form and the API documentation. Type names are matched case-insensitively because
resellers' software sends whatever its author typed.
"""

from dataclasses import dataclass
from enum import Enum

from django.utils.translation import gettext_lazy as _


class QuantityFrom(Enum):
    PARAM = "quantity"  # the client sends ``quantity``
    LINES = "lines"  # one unit per non-empty line of a list parameter
    PACKAGE = "package"  # a fixed package: quantity 1, charge = rate
    SUBSCRIPTION = "subscription"  # ``max`` per post × ``posts``


@dataclass(frozen=True)
class ServiceType:
    name: str
    quantity_from: QuantityFrom = QuantityFrom.PARAM
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    lines_param: str | None = None  # the list whose lines count as quantity
    needs_link: bool = True
    description: str = ""  # shown in the API documentation (translated)

    @property
    def slug(self) -> str:
        return self.name.lower()

    @property
    def params(self) -> tuple[str, ...]:
        return self.required + self.optional


SERVICE_TYPES: tuple[ServiceType, ...] = (
    ServiceType("Default", description=_("link + quantity; runs + interval when drip-feed")),
    ServiceType("Package", QuantityFrom.PACKAGE, description=_("link only; a fixed package")),
    ServiceType(
        "Custom Comments",
        QuantityFrom.LINES,
        required=("comments",),
        lines_param="comments",
        description=_("one comment per line; quantity = number of lines"),
    ),
    ServiceType(
        "Custom Comments Package",
        QuantityFrom.PACKAGE,
        required=("comments",),
        description=_("one comment per line; a fixed package price"),
    ),
    ServiceType("Mentions", required=(), description=_("link + quantity")),
    ServiceType("Mentions with Hashtags", required=("usernames", "hashtags")),
    ServiceType(
        "Mentions Custom List",
        QuantityFrom.LINES,
        required=("usernames",),
        lines_param="usernames",
        description=_("one username per line; quantity = number of lines"),
    ),
    ServiceType("Mentions Hashtag", required=("hashtag",)),
    ServiceType("Mentions User Followers", required=("username",)),
    ServiceType("Mentions Media Likers", required=("media",)),
    ServiceType("Comment Likes", required=("username",)),
    ServiceType(
        "Comment Replies",
        QuantityFrom.LINES,
        required=("username", "comments"),
        lines_param="comments",
    ),
    ServiceType("Poll", required=("answer_number",), description=_("link + quantity + answer")),
    ServiceType("Invites from Groups", required=("groups",)),
    ServiceType("SEO", required=("keywords",)),
    ServiceType(
        "Subscriptions",
        QuantityFrom.SUBSCRIPTION,
        required=("username", "min", "max", "posts"),
        optional=("delay", "expiry"),
        needs_link=False,
        description=_("username + min/max per new post × posts; charged for max × posts"),
    ),
    ServiceType("Web Traffic", description=_("link + quantity")),
)

_BY_SLUG = {t.slug: t for t in SERVICE_TYPES}
CHOICES = [(t.slug, t.name) for t in SERVICE_TYPES]
DEFAULT = _BY_SLUG["default"]


def type_named(name: str) -> ServiceType | None:
    """The service type called ``name``, ignoring case and surrounding space."""
    return _BY_SLUG.get(" ".join(name.split()).lower())
