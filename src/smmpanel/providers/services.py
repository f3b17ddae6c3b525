"""Writes for providers: adding one, checking its balance, importing and re-syncing
its services into the catalog."""

import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils import timezone

from smmpanel.audit.services import audit
from smmpanel.catalog.models import Service, ServiceUpdate
from smmpanel.catalog.service_types import DEFAULT, type_named
from smmpanel.catalog.services import (
    create_service,
    describe_changes,
    get_or_create_category,
    staff_update_service,
    update_service,
)
from smmpanel.money import MICROS, div_round_half_up, format_amount, to_micros
from smmpanel.providers.client import ProviderError, RemoteService
from smmpanel.providers.connection import client_for
from smmpanel.providers.models import PendingServiceChange, Provider, ServiceRoute
from smmpanel.providers.promises import broken_promises
from smmpanel.providers.secrets import seal, unseal
from smmpanel.providers.url_safety import check_provider_url

log = logging.getLogger(__name__)

# (words in a provider's service name or category, platform, link format) — first match wins.
_PLATFORM_GUESSES = (
    (("instagram",), "Instagram", {"follower": "instagram_profile"}, "instagram_post"),
    (("tiktok",), "TikTok", {"follower": "tiktok_profile"}, "tiktok_video"),
    (("youtube",), "YouTube", {"subscriber": "youtube_channel"}, "youtube_video"),
    (("telegram",), "Telegram", {"member": "telegram_channel", "subscriber": "telegram_channel"},
     "telegram_post"),
    (("twitter", " x "), "X (Twitter)", {"follower": "x_profile"}, "x_post"),
)  # fmt: skip


def add_provider(name: str, api_url: str, api_key: str, *, allow_private: bool = False) -> Provider:
    """Register a provider after checking its URL is safe to call (SSRF guard)."""
    check_provider_url(api_url, allow_private=allow_private)
    return Provider.objects.create(
        name=name,
        api_url=api_url,
        api_key_sealed=seal(api_key),
        api_key_last4=api_key[-4:],
        allow_private=allow_private,
    )


class ProviderNameTaken(ValueError):
    """Another provider has that name already (names are unique)."""


def add_provider_from_console(
    name: str, api_url: str, api_key: str, *, allow_private: bool = False
) -> Provider:
    """Add a provider for a set-up script (``smmpanel addprovider``), audited as a change
    by the system (no staff member), with the URL but never the key.

    The URL checks are ``add_provider``'s: ``allow_private`` admits http and loopback or
    private addresses (a simulator, an internal provider); metadata and link-local
    addresses stay refused. Raises ``ProviderNameTaken`` or ``UnsafeProviderUrl``, and
    then adds nothing.
    """
    if Provider.objects.filter(name=name).exists():
        raise ProviderNameTaken(f"a provider named {name!r} already exists")
    try:
        with transaction.atomic():
            provider = add_provider(name, api_url, api_key, allow_private=allow_private)
            audit(
                "provider.add",
                actor=None,
                provider=provider.pk,
                reason=f"provider {name} added from the console: {api_url}",
            )
    except IntegrityError:  # added by someone else since the check above
        raise ProviderNameTaken(f"a provider named {name!r} already exists") from None
    return provider


def refresh_balance(provider: Provider) -> bool:
    """Ask the provider for our balance there and keep it for staff to see; False (and
    the error kept as ``last_error``) if it could not be asked."""
    try:
        amount, currency = client_for(provider).balance()
    except ProviderError as exc:
        Provider.objects.filter(pk=provider.pk).update(last_error=exc.message[:500])
        return False
    Provider.objects.filter(pk=provider.pk).update(
        balance_micros=to_micros(round(amount, 6)),
        balance_currency=(currency or "")[:3],
        balance_checked_at=timezone.now(),
    )
    return True


def price_with_markup(cost_micros: int, markup_percent: Decimal) -> int:
    """Our rate for a provider cost plus ``markup_percent``, rounded half-up to a micro."""
    basis_points = int((Decimal(markup_percent) * 100).to_integral_value())
    return div_round_half_up(cost_micros * (10_000 + basis_points), 10_000)


def column_range(model, field_name: str) -> tuple[int, int]:
    """The values ``model.field_name`` holds on every database the panel runs on.

    Taken from the field's type with Django's portable ranges, not from the connection:
    SQLite keeps any 64-bit integer in any integer column, so a value it took would fail
    the same sync on PostgreSQL, and an order for it would overflow its own columns.
    """
    internal_type = model._meta.get_field(field_name).get_internal_type()
    return BaseDatabaseOperations.integer_field_ranges[internal_type]


def refused_values(offer: RemoteService, markup_percent: Decimal | None = None) -> list[dict]:
    """The numbers of ``offer`` that the columns they would land in cannot hold (empty:
    all fit), each as ``{"service", "name", "field", "value", "high"}`` with the value
    and the column's highest as the provider writes them (rates per 1000, not micros).
    With ``markup_percent`` (an import) our rate, the cost plus the markup, is checked
    too. Only the highest needs checking: the parser refuses negative rates and limits.
    """
    cost = to_micros(round(offer.rate, 6))
    checks = [  # (field, value as stored, model, column, stored units per shown unit)
        ("rate", cost, ServiceRoute, "cost_micros", MICROS),
        ("min", offer.min, Service, "min_quantity", 1),
        ("max", offer.max, Service, "max_quantity", 1),
    ]
    if markup_percent is not None:
        ours = price_with_markup(cost, markup_percent)
        checks.append(("rate with markup", ours, Service, "rate_micros", MICROS))
    refused = []
    for name, stored, model, column, unit in checks:
        low, high = column_range(model, column)
        if not low <= stored <= high:
            refused.append(
                {
                    "service": offer.service,
                    "name": offer.name[:100],
                    "field": name,
                    "value": _shown(stored, unit),
                    "high": _shown(high, unit),
                }
            )
    return refused


def _shown(stored: int, unit: int) -> str:
    return format_amount(stored) if unit == MICROS else str(stored)


def _record_refused(provider: Provider, refused: list[dict]) -> None:
    Provider.objects.filter(pk=provider.pk).update(refused_values=refused)
    if refused:
        log.warning("provider %s: numbers out of range refused: %s", provider.name, refused)


@dataclass
class ImportResult:
    created: list[Service] = field(default_factory=list)
    skipped: int = 0
    refused: list[dict] = field(default_factory=list)  # see ``refused_values``


def import_services(
    provider: Provider, *, markup_percent: Decimal, only: set[str] | None = None
) -> ImportResult:
    """Create catalog services for the provider's services not yet routed here.

    Prices are the provider's rate plus the markup; platform and link format are
    guessed from the name and category and can be corrected by staff afterwards. An
    offer with a number our columns cannot hold is skipped and its values kept on the
    provider for staff (``refused_values``).
    """
    remote_services = client_for(provider).services()
    routed = set(
        ServiceRoute.objects.filter(provider=provider).values_list("provider_service_id", flat=True)
    )
    result = ImportResult()
    for remote in remote_services:
        if remote.service in routed or (only is not None and remote.service not in only):
            result.skipped += 1
            continue
        refused = refused_values(remote, markup_percent)
        if refused:
            result.refused += refused
            result.skipped += 1
            continue
        with transaction.atomic():
            service = _create_from_remote(remote, markup_percent)
            ServiceRoute.objects.create(
                service=service,
                provider=provider,
                provider_service_id=remote.service,
                cost_micros=to_micros(round(remote.rate, 6)),
                markup_percent=markup_percent,
            )
        result.created.append(service)
    _record_refused(provider, result.refused)
    return result


def _create_from_remote(remote: RemoteService, markup_percent: Decimal) -> Service:
    platform, link_format = guess_platform(f"{remote.name} {remote.category}")
    stype = type_named(remote.type)
    return create_service(
        get_or_create_category(platform, remote.category[:200] or platform),
        name=remote.name[:255],
        type=stype.slug if stype else "default",
        rate_micros=price_with_markup(to_micros(round(remote.rate, 6)), markup_percent),
        min_quantity=max(remote.min, 1),
        max_quantity=max(remote.max, remote.min, 1),
        refill=remote.refill,
        cancel=remote.cancel,
        dripfeed=remote.dripfeed,
        link_format=link_format,
    )


def guess_platform(text: str) -> tuple[str, str]:
    """(platform name, link format code) guessed from a service's name and category."""
    lowered = f" {text.lower()} "
    for words, platform, by_word, default in _PLATFORM_GUESSES:
        if any(w in lowered for w in words):
            for word, fmt in by_word.items():
                if word in lowered:
                    return platform, fmt
            return platform, default
    return "Website", "website"


def sync_services(provider: Provider) -> dict[str, int]:
    """Bring routed services in line with the provider's current offer.

    Limits, refill and cancel follow the provider (recorded as service updates);
    our price stays as staff set it, but a service whose primary route now costs
    more than we charge — or that the provider withdrew — is paused, not sold at a loss.
    An offer with a number our columns cannot hold changes nothing of its routes; the
    refused values are kept on the provider for staff (``refused_values``). A change
    that breaks what a service's name promises (refill, its period, limits) is held for
    staff as a ``PendingServiceChange``, not applied nor published (``hold_changes``).
    """
    remote = {s.service: s for s in client_for(provider).services()}
    counts = {"updated": 0, "paused": 0}
    refused: list[dict] = []
    routes = ServiceRoute.objects.filter(provider=provider).select_related("service")
    for route in routes:
        offer = remote.get(route.provider_service_id)
        service = route.service
        if offer is not None and (bad := refused_values(offer)):
            refused += bad
            continue
        is_primary = not ServiceRoute.objects.filter(
            service=service, active=True, priority__lt=route.priority
        ).exists()
        with transaction.atomic():
            if offer is None:
                ServiceRoute.objects.filter(pk=route.pk).update(active=False)
                if is_primary and service.active:
                    update_service(service, active=False)
                    counts["paused"] += 1
                continue
            cost = to_micros(round(offer.rate, 6))
            ServiceRoute.objects.filter(pk=route.pk).update(cost_micros=cost)
            proposed = {
                "min_quantity": max(offer.min, 1),
                "max_quantity": max(offer.max, offer.min, 1),
                "refill": offer.refill,
                "cancel": offer.cancel,
            }
            current = {f: getattr(service, f) for f in _PROMISED_FIELDS}
            held = broken_promises(service.name, current, proposed, offer.name)
            hold_changes(service, provider, held)
            changes = {f: v for f, v in proposed.items() if f not in held}
            if is_primary and cost > service.rate_micros and service.active:
                changes["active"] = False
                counts["paused"] += 1
            if any(getattr(service, k) != v for k, v in changes.items()):
                update_service(service, **changes)
                counts["updated"] += 1
    _record_refused(provider, refused)
    Provider.objects.filter(pk=provider.pk).update(services_synced_at=timezone.now())
    return counts


# The service's fields a sync may change that its name may promise.
_PROMISED_FIELDS = ("min_quantity", "max_quantity", "refill", "refill_days", "cancel")


def hold_changes(service: Service, provider: Provider, held: dict[str, object]) -> None:
    """Keep ``held`` (field → value) as the open change of ``service`` from ``provider``
    for staff: the same values again leave the open change as it is, other values
    replace it, none drops it (the sync keeps the promise again); values staff last
    rejected are not raised again. Call inside the sync's transaction."""
    mine = PendingServiceChange.objects.filter(service=service, provider=provider)
    open_change = mine.filter(state=PendingServiceChange.State.PENDING).first()
    if not held:
        if open_change is not None:
            open_change.delete()
        return
    before = {f: getattr(service, f) for f in held}
    if open_change is not None:
        if open_change.changes != held:
            mine.filter(pk=open_change.pk).update(changes=held, before=before)
        return
    last = mine.exclude(state=PendingServiceChange.State.PENDING).order_by("-decided_at", "-pk")
    decided = last.first()
    if (
        decided is not None
        and decided.state == PendingServiceChange.State.REJECTED
        and decided.changes == held
    ):
        return
    PendingServiceChange.objects.create(
        service=service, provider=provider, changes=held, before=before
    )


def route_unrouted_services(provider: Provider) -> int:
    """Route every catalog service that has no route to the provider's service that sells
    the same thing; returns how many were routed (demo set-up).

    Only an offer of the same platform, the same kind (likes, followers, views…) and the
    same type qualifies: an order sent to another type or kind fails or delivers the wrong
    thing, and the hourly sync would copy that offer's terms onto ours. Among those the
    closest name wins; refill as ours, then limits covering ours, break ties. A service
    with no such offer stays unrouted.
    """
    offers = client_for(provider).services()
    routed = 0
    services = Service.objects.filter(routes__isnull=True).select_related("category__platform")
    for service in services:
        offer = _matching_offer(service, offers)
        if offer is None:
            continue
        ServiceRoute.objects.create(
            service=service,
            provider=provider,
            provider_service_id=offer.service,
            cost_micros=to_micros(round(offer.rate, 6)),
        )
        routed += 1
    return routed


# Words that name what a service sells, by the kind they stand for.
_KIND_WORDS = {
    **dict.fromkeys(("like", "likes"), "likes"),
    **dict.fromkeys(("follower", "followers"), "followers"),
    **dict.fromkeys(("subscriber", "subscribers", "subs"), "subscribers"),
    **dict.fromkeys(("member", "members"), "members"),
    **dict.fromkeys(("view", "views", "plays"), "views"),
    **dict.fromkeys(("comment", "comments", "replies"), "comments"),
    **dict.fromkeys(("mention", "mentions"), "mentions"),
    **dict.fromkeys(("vote", "votes", "poll", "polls"), "votes"),
    **dict.fromkeys(("visitor", "visitors", "traffic", "visits"), "traffic"),
    **dict.fromkeys(("save", "saves"), "saves"),
    **dict.fromkeys(("share", "shares", "reposts"), "shares"),
    **dict.fromkeys(("package", "packages"), "package"),
}
# Bracketed tags such as "[SIMULATOR]" or "[Real]" say nothing about what is sold.
_TAG = re.compile(r"\[[^\]]*\]")


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", _TAG.sub(" ", text).casefold()))


def _kinds(name_words: set[str], category: str) -> set[str]:
    # The name is the more precise; a category ("Instagram Comments") may hold several kinds.
    kinds = {_KIND_WORDS[w] for w in name_words if w in _KIND_WORDS}
    return kinds or {_KIND_WORDS[w] for w in _words(category) if w in _KIND_WORDS}


def _platform_of(text: str) -> str:
    return guess_platform(_TAG.sub(" ", text))[0]


def _matching_offer(service: Service, offers: list[RemoteService]) -> RemoteService | None:
    """The provider's offer that sells what ``service`` sells, or None.

    Hard requirements: same platform, a common kind (or, when our service names no
    kind, the same name) and the same type. Ranking: name likeness, category name,
    refill as ours, limits covering ours; the provider's order breaks what is left.
    """
    category = service.category
    platform_name = category.platform.name
    platform = _platform_of(f"{platform_name} {category.name}")
    own_words = _words(service.name)
    own_kinds = _kinds(own_words, category.name)
    best, best_rank = None, None
    for offer in offers:
        text = f"{offer.name} {offer.category}"
        offer_words = _words(offer.name)
        if (type_named(offer.type) or DEFAULT).slug != service.type:
            continue
        if _platform_of(text) != platform:
            continue
        # The guesser knows the big platforms only; any other must be named by the offer.
        if platform == _platform_of("") and not _words(platform_name) <= _words(text):
            continue
        offer_kinds = _kinds(offer_words, offer.category)
        if not (own_kinds & offer_kinds if own_kinds else own_words == offer_words):
            continue
        rank = (
            len(own_words & offer_words) / len(own_words | offer_words),
            _words(category.name) == _words(offer.category),
            offer.refill == service.refill,
            offer.min <= service.min_quantity and offer.max >= service.max_quantity,
        )
        if best_rank is None or rank > best_rank:
            best, best_rank = offer, rank
    return best


# --- staff actions: each one audited -------------------------------------------------


def _audit_staff(action: str, *, actor, reason: str, outcome: str = "update", **refs) -> None:
    audit(action, actor=actor, reason=reason, outcome=outcome, **refs)


def staff_add_provider(name: str, api_url: str, api_key: str, *, actor) -> Provider:
    """Add a provider on behalf of staff (public https URLs only; audited, key not logged)."""
    with transaction.atomic():
        provider = add_provider(name, api_url, api_key)
        _audit_staff(
            "provider.add",
            actor=actor,
            reason=f"provider {name} added: {api_url}",
            provider=provider.pk,
        )
    return provider


def update_provider(
    provider: Provider, *, actor, name: str, api_url: str, active: bool, api_key: str = ""
) -> Provider:
    """Change a provider's name, URL (SSRF-checked again), switch or key; an empty
    ``api_key`` keeps the current one. Audited without the key."""
    check_provider_url(api_url, allow_private=provider.allow_private)
    changes: dict[str, object] = {"name": name, "api_url": api_url, "active": active}
    changed = [f for f, v in changes.items() if getattr(provider, f) != v]
    if api_key:
        changes.update(api_key_sealed=seal(api_key), api_key_last4=api_key[-4:])
        changed.append(f"key (now ending {api_key[-4:]})")
    if not changed:
        return provider
    with transaction.atomic():
        for field_name, value in changes.items():
            setattr(provider, field_name, value)
        provider.save(update_fields=list(changes))
        _audit_staff(
            "provider.update",
            actor=actor,
            reason=f"provider {provider.name}: {', '.join(changed)}",
            provider=provider.pk,
        )
    return provider


def connect_simulator(name: str, api_url: str, api_key: str) -> Provider:
    """The provider ``name`` pointed at a built-in simulator listening at ``api_url`` with
    ``api_key`` (demo set-up): added if missing; otherwise its URL, key and switch are
    updated through ``update_provider`` (audited, as a system change), so a row left by
    an earlier run on another port is never reused as it was. A provider of that name
    that is not allowed loopback addresses is refused (``UnsafeProviderUrl``), not changed.
    """
    provider = Provider.objects.filter(name=name).first()
    if provider is None:
        return add_provider(name, api_url, api_key, allow_private=True)
    try:
        same_key = unseal(provider.api_key_sealed) == api_key
    except ValueError:  # sealed under a secret since dropped: the new key replaces it
        same_key = False
    return update_provider(
        provider,
        actor=None,
        name=name,
        api_url=api_url,
        active=True,
        api_key="" if same_key else api_key,
    )


def staff_refresh_balance(provider: Provider, *, actor) -> bool:
    """Refresh the provider's balance for staff (audited); False if the call failed."""
    ok = refresh_balance(provider)
    _audit_staff(
        "provider.balance",
        actor=actor,
        outcome="update" if ok else "error",
        reason=f"provider {provider.name}: balance refreshed"
        if ok
        else f"provider {provider.name}: balance check failed",
        provider=provider.pk,
    )
    return ok


def staff_import_services(
    provider: Provider, *, actor, markup_percent: Decimal, only: set[str] | None = None
) -> ImportResult:
    """Import the provider's services with a markup for staff (audited). A provider
    error is kept as ``last_error``, audited, and raised."""
    try:
        result = import_services(provider, markup_percent=markup_percent, only=only)
    except ProviderError as exc:
        Provider.objects.filter(pk=provider.pk).update(last_error=exc.message[:500])
        _audit_staff(
            "provider.import",
            actor=actor,
            outcome="error",
            provider=provider.pk,
            reason=f"provider {provider.name}: import failed: {exc.message}",
        )
        raise
    ids = ", ".join(str(s.pk) for s in result.created)
    _audit_staff(
        "provider.import",
        actor=actor,
        provider=provider.pk,
        reason=f"provider {provider.name}: {len(result.created)} services imported "
        f"at {markup_percent} % markup" + (f" ({ids})" if ids else ""),
    )
    return result


def staff_sync_services(provider: Provider, *, actor) -> dict[str, int]:
    """Re-sync the provider's services now for staff (audited); a provider error is
    kept as ``last_error``, audited, and raised."""
    try:
        counts = sync_services(provider)
    except ProviderError as exc:
        Provider.objects.filter(pk=provider.pk).update(last_error=exc.message[:500])
        _audit_staff(
            "provider.sync",
            actor=actor,
            outcome="error",
            provider=provider.pk,
            reason=f"provider {provider.name}: sync failed: {exc.message}",
        )
        raise
    _audit_staff(
        "provider.sync",
        actor=actor,
        provider=provider.pk,
        reason=f"provider {provider.name}: {counts['updated']} updated, {counts['paused']} paused",
    )
    return counts


class ChangeNotOpen(ValueError):
    """The held change was accepted, rejected or dropped meanwhile."""


def _decide(change: PendingServiceChange, state: str, *, actor, reason: str) -> None:
    """Mark an open change decided (a conditional UPDATE: a change is decided once)."""
    decided = PendingServiceChange.objects.filter(
        pk=change.pk, state=PendingServiceChange.State.PENDING
    ).update(state=state, decided_at=timezone.now(), decided_by=actor, decision_reason=reason)
    if decided != 1:
        raise ChangeNotOpen(f"change {change.pk} is no longer pending")


def accept_service_change(
    change: PendingServiceChange, *, actor, reason: str
) -> list[ServiceUpdate]:
    """Apply a change the sync held for staff to its service: published on the Updates
    page and audited with ``actor`` and ``reason``. ``ChangeNotOpen`` if it is no longer
    pending; ``ValidationError`` (nothing written) if the service can no longer take it."""
    with transaction.atomic():
        _decide(change, PendingServiceChange.State.ACCEPTED, actor=actor, reason=reason)
        service = Service.objects.get(pk=change.service_id)
        before = {f: getattr(service, f) for f in change.changes}
        updates = update_service(service, **change.changes)
        _audit_staff(
            "service_change.accept",
            actor=actor,
            service=service.pk,
            provider=change.provider_id,
            reason=f"{reason} — held sync change {change.pk} of service {service.pk} "
            f"applied: {describe_changes(before, change.changes)}",
        )
    return updates


def reject_service_change(change: PendingServiceChange, *, actor, reason: str) -> None:
    """Refuse a change the sync held for staff: the service stays as it is, the same
    values are not raised again by later syncs; audited with ``actor`` and ``reason``.
    ``ChangeNotOpen`` if it is no longer pending."""
    with transaction.atomic():
        _decide(change, PendingServiceChange.State.REJECTED, actor=actor, reason=reason)
        _audit_staff(
            "service_change.reject",
            actor=actor,
            service=change.service_id,
            provider=change.provider_id,
            reason=f"{reason} — held sync change {change.pk} of service "
            f"{change.service_id} rejected: "
            f"{describe_changes(change.before, change.changes)}",
        )


class RouteExists(ValueError):
    """The service is already routed to that provider."""


def add_route(
    service: Service,
    provider: Provider,
    provider_service_id: str,
    *,
    actor,
    cost_micros: int,
    markup_percent: Decimal = Decimal(0),
    priority: int = 0,
) -> ServiceRoute:
    """Route ``service`` to a provider's service at ``priority`` (0 = primary, then the
    fallbacks in order); audited."""
    if ServiceRoute.objects.filter(service=service, provider=provider).exists():
        raise RouteExists(f"service {service.pk} is already routed to {provider.name}")
    with transaction.atomic():
        route = ServiceRoute.objects.create(
            service=service,
            provider=provider,
            provider_service_id=provider_service_id.strip(),
            cost_micros=cost_micros,
            markup_percent=markup_percent,
            priority=priority,
        )
        _audit_staff(
            "route.add",
            actor=actor,
            service=service.pk,
            provider=provider.pk,
            reason=f"service {service.pk} routed to {provider.name} "
            f"#{route.provider_service_id}, priority {priority}",
        )
    return route


def update_route(
    route: ServiceRoute,
    *,
    actor,
    priority: int,
    markup_percent: Decimal,
    active: bool,
    reprice: bool = False,
) -> ServiceRoute:
    """Change a route's priority, markup or switch; with ``reprice`` the service's rate
    becomes the route's cost plus the markup (a public rate update). Audited."""
    with transaction.atomic():
        ServiceRoute.objects.filter(pk=route.pk).update(
            priority=priority, markup_percent=markup_percent, active=active
        )
        route.priority, route.markup_percent, route.active = priority, markup_percent, active
        _audit_staff(
            "route.update",
            actor=actor,
            service=route.service_id,
            provider=route.provider_id,
            reason=f"route {route.pk}: priority {priority}, markup {markup_percent} %, "
            f"{'active' if active else 'inactive'}",
        )
        if reprice:
            staff_update_service(
                route.service,
                actor=actor,
                note=f"repriced from route {route.pk}",
                rate_micros=price_with_markup(route.cost_micros, markup_percent),
            )
    return route


def remove_route(route: ServiceRoute, *, actor) -> None:
    """Remove a route (orders already sent through it keep their provider); audited."""
    with transaction.atomic():
        ServiceRoute.objects.filter(pk=route.pk).delete()
        _audit_staff(
            "route.remove",
            actor=actor,
            service=route.service_id,
            provider=route.provider_id,
            reason=f"route {route.pk} removed: service {route.service_id} via "
            f"{route.provider.name} #{route.provider_service_id}",
        )


def refresh_catalogs() -> dict[str, str]:
    """Re-sync services and balances of every active provider that has routes; one
    provider's failure is recorded on it and does not stop the others."""
    outcome = {}
    for provider in Provider.objects.filter(active=True, routes__isnull=False).distinct():
        try:
            counts = sync_services(provider)
            refresh_balance(provider)
            outcome[provider.name] = f"{counts['updated']} updated, {counts['paused']} paused"
        except ProviderError as exc:
            Provider.objects.filter(pk=provider.pk).update(last_error=exc.message[:500])
            outcome[provider.name] = f"failed: {exc.message}"
        except (ValidationError, DatabaseError) as exc:
            # Values are checked before they are written (``refused_values``); should one
            # still be refused, its service's transaction was rolled back alone, and the
            # providers after this one are synced all the same.
            log.exception("catalog sync of provider %s failed", provider.name)
            message = f"sync failed: {exc}"[:500]
            Provider.objects.filter(pk=provider.pk).update(last_error=message)
            outcome[provider.name] = f"failed: {exc}"
    return outcome
