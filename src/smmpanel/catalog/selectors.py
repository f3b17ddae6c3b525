"""Reads for the catalog: the active services, prices, the change log and the service
picker of the new-order page."""

import re
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from smmpanel.catalog.active_catalog import active_catalog, active_services
from smmpanel.catalog.models import Category, CustomRate, Platform, Service, ServiceUpdate
from smmpanel.catalog.price_rule_owners import has_price_rules
from smmpanel.compiled_sql import CompiledQuery
from smmpanel.numbers import whole_number


def orderable_service(service_id: object) -> Service | None:
    """The active service with public id ``service_id`` (ASCII digits), or None.

    Shared by the process's requests (read-only), at most ``CATALOG_CACHE_SECONDS`` old.
    """
    pk = whole_number(service_id)
    if not pk:
        return None
    return active_catalog().by_id.get(pk)  # no query: see active_catalog


def recent_updates(limit: int = 200) -> QuerySet[ServiceUpdate]:
    return ServiceUpdate.objects.select_related("service")[:limit]


@dataclass(frozen=True)
class Features:
    """What a service must offer to be listed: refill, cancel, drip-feed (False: any)."""

    refill: bool = False
    cancel: bool = False
    dripfeed: bool = False


def price_list(
    platform: str = "",
    category: object = None,
    query: str = "",
    features: Features = Features(),  # noqa: B008 (frozen, shared safely)
    only_ids: frozenset[int] | None = None,
) -> list[Service]:
    """Active services for the public price list, filtered by platform slug, category id,
    the features they must offer, a set of ids (a customer's favourites) and a search
    over service and category names (or an exact service id).

    One query. SQLite matches case-insensitively only in ASCII, so a non-ASCII search
    (Ukrainian) is matched with ``casefold()`` over the already filtered rows.
    """
    rows = active_services().only(
        "id",
        "name",
        "type",
        "rate_micros",
        "min_quantity",
        "max_quantity",
        "refill",
        "refill_days",
        "cancel",
        "dripfeed",
        "start_time",
        "speed",
        "link_format",
        "category__id",
        "category__name",
        "category__position",
        "category__platform__id",
        "category__platform__name",
        "category__platform__slug",
        "category__platform__position",
    )
    if platform:
        rows = rows.filter(category__platform__slug=platform)
    category_id = _positive_int(category)
    if category_id is not None:
        rows = rows.filter(category_id=category_id)
    for name in ("refill", "cancel", "dripfeed"):
        if getattr(features, name):
            rows = rows.filter(**{name: True})
    if only_ids is not None:
        rows = rows.filter(pk__in=only_ids)
    query = " ".join(str(query or "").split())[:100]
    if not query:
        return list(rows)
    if query.isascii():
        match = Q(name__icontains=query) | Q(category__name__icontains=query)
        if (pk := _positive_int(query)) is not None:
            match |= Q(pk=pk)
        return list(rows.filter(match))
    needle = query.casefold()
    return [s for s in rows if needle in s.name.casefold() or needle in s.category.name.casefold()]


def platforms_and_categories() -> tuple[list[Platform], list[Category]]:
    """Every platform and category that has an active service (for the filters)."""
    categories = list(
        Category.objects.filter(services__active=True).distinct().select_related("platform")
    )
    seen: dict[int, Platform] = {}
    for c in categories:
        seen.setdefault(c.platform_id, c.platform)
    platforms = sorted(seen.values(), key=lambda p: (p.position, p.name))
    return platforms, categories


def updates_page(
    before: int | None = None, size: int = 50
) -> tuple[list[ServiceUpdate], int | None]:
    """Public service changes, newest first, with id below ``before`` (keyset pages);
    returns the page and the cursor of the next one (or None)."""
    rows = ServiceUpdate.objects.select_related("service").only(
        "id", "kind", "old_value", "new_value", "created_at", "service__id", "service__name"
    )
    if before is not None:
        rows = rows.filter(pk__lt=before)
    page = list(rows.order_by("-id")[: size + 1])
    return page[:size], (page[size - 1].pk if len(page) > size else None)


def _positive_int(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 18 else None


# --- a customer's own prices -------------------------------------------------------------


def custom_rates_of(user) -> list[CustomRate]:
    """The user's own price rules, the all-services discount first (for staff pages)."""
    if user is None or user.pk is None:
        return []
    rows = CustomRate.objects.filter(user=user).select_related("service")
    return sorted(rows, key=lambda r: (r.service_id is not None, r.service_id or 0))


class UserRates:
    """What one user pays per 1000 for any service: their rule for the service, else
    their all-services discount, else the list rate. Read once, asked many times."""

    def __init__(self, rules: list[CustomRate]):
        self._by_service = {r.service_id: r for r in rules if r.service_id is not None}
        self._for_all = next((r for r in rules if r.service_id is None), None)

    def __bool__(self) -> bool:
        """Whether the user has any price rule at all."""
        return bool(self._by_service) or self._for_all is not None

    def rule_for(self, service: Service) -> CustomRate | None:
        return self._by_service.get(service.pk) or self._for_all

    def rate_for(self, service: Service) -> int:
        rule = self.rule_for(service)
        return rule.rate_for(service.rate_micros) if rule is not None else service.rate_micros


def by_price(services: list[Service], rates: UserRates, descending: bool = False) -> list[Service]:
    """``services`` ordered by what the reader pays per 1000 (their own price), then id."""
    return sorted(services, key=lambda s: ((-1 if descending else 1) * rates.rate_for(s), s.pk))


def rates_for(user) -> UserRates:
    """The user's price rules in one query; none, and no query, for a user without any
    (``price_rule_owners``) or an anonymous or missing one."""
    if user is None or not getattr(user, "pk", None) or not has_price_rules(user.pk):
        return UserRates([])
    return UserRates(list(CustomRate.objects.filter(user=user)))


def rate_for(user, service: Service) -> int:
    """What ``user`` pays per 1000 of ``service`` (per package for package services)."""
    if user is None or not getattr(user, "pk", None) or not has_price_rules(user.pk):
        return service.rate_micros
    return UserRates(_PRICE_RULES.all(user_id=user.pk, service_id=service.pk)).rate_for(service)


# Read for every order placed: compiled once (see ``compiled_sql``).
_PRICE_RULES = CompiledQuery(
    lambda user_id, service_id: CustomRate.objects.filter(user_id=user_id).filter(
        Q(service_id=service_id) | Q(service__isnull=True)
    ),
    user_id=int,
    service_id=int,
)


# --- the staff catalog ------------------------------------------------------------------


def staff_services(
    platform: object = None, category: object = None, query: str = "", state: str = ""
) -> QuerySet[Service]:
    """Every service (enabled or not) in catalog order for the staff list, filtered by
    platform id, category id, state (``active``/``inactive``) and a search over the name
    (or an exact id); annotated with ``route_count``."""
    rows = (
        Service.objects.select_related("category__platform")
        .annotate(route_count=Count("routes"))
        .order_by("category__platform__position", "category__position", "position", "id")
    )
    if (platform_id := _positive_int(platform)) is not None:
        rows = rows.filter(category__platform_id=platform_id)
    if (category_id := _positive_int(category)) is not None:
        rows = rows.filter(category_id=category_id)
    if state in ("active", "inactive"):
        rows = rows.filter(active=state == "active")
    query = " ".join(str(query or "").split())[:100]
    if query:
        match = Q(name__icontains=query)
        if (pk := _positive_int(query)) is not None:
            match |= Q(pk=pk)
        rows = rows.filter(match)
    return rows


def staff_categories() -> QuerySet[Category]:
    """Every category in catalog order with ``service_count`` and ``active_count``."""
    return Category.objects.select_related("platform").annotate(
        service_count=Count("services"),
        active_count=Count("services", filter=Q(services__active=True)),
    )


def all_platforms() -> QuerySet[Platform]:
    return Platform.objects.all()


_REFILL_DAYS = re.compile(r"(\d+) days")


def update_value_text(update: ServiceUpdate, value: str) -> str:
    """A before/after value of a service update in the active language. Refill values
    are stored in fixed English (``catalog.services._refill_text``: "no refill",
    "30 days", "refill") and read out in the panel's words; the others are numbers."""
    if update.kind != ServiceUpdate.Kind.REFILL or not value:
        return value
    if value == "no refill":
        return _("No refill")
    if value == "refill":
        return _("Yes, with no time limit")
    days = _REFILL_DAYS.fullmatch(value)
    if days:
        n = int(days[1])
        return ngettext("%(n)s day", "%(n)s days", n) % {"n": n}
    return value


# --- the service picker of the new-order page --------------------------------------------

# Longer search text is cut, as in the order searches.
MAX_PICKER_SEARCH = 200


@dataclass(frozen=True)
class ServiceGroup:
    label: str  # "Platform — Category"
    services: list[Service]


@dataclass(frozen=True)
class ServicePicker:
    """What the new-order page offers: platforms, the chosen platform's categories and
    the matching services grouped by platform and category."""

    platforms: list[Platform]
    categories: list[Category]
    groups: list[ServiceGroup]
    platform: Platform | None
    category: Category | None
    count: int


def service_picker(
    platform_id: object = None,
    category_id: object = None,
    search: str = "",
    only_ids: frozenset[int] | None = None,
) -> ServicePicker:
    """Active services narrowed by platform, category, a set of ids (the customer's
    favourites) and a search over the id and name.

    Matching is done in Python with ``casefold()`` so Ukrainian names match in any case
    on SQLite too; the active catalog is small (hundreds of rows), read in one query.
    """
    services = list(
        Service.objects.filter(active=True)
        .select_related("category__platform")
        .order_by(
            "category__platform__position",
            "category__platform__name",
            "category__position",
            "category__name",
            "position",
            "id",
        )
    )
    if only_ids is not None:
        services = [s for s in services if s.pk in only_ids]
    platforms = list({s.category.platform_id: s.category.platform for s in services}.values())
    platform = next((p for p in platforms if str(p.pk) == str(platform_id or "")), None)
    if platform is not None:
        services = [s for s in services if s.category.platform_id == platform.pk]
    categories = list({s.category_id: s.category for s in services}.values())
    category = next((c for c in categories if str(c.pk) == str(category_id or "")), None)
    if category is not None:
        services = [s for s in services if s.category_id == category.pk]
    needle = " ".join((search or "").split()).casefold()[:MAX_PICKER_SEARCH]
    if needle:
        services = [s for s in services if needle in f"{s.pk} {s.name}".casefold()]
    groups: dict[int, ServiceGroup] = {}
    for s in services:
        label = f"{s.category.platform.name} — {s.category.name}"
        groups.setdefault(s.category_id, ServiceGroup(label, [])).services.append(s)
    return ServicePicker(
        platforms, categories, list(groups.values()), platform, category, len(services)
    )
