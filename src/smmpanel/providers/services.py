"""Writes for providers: adding one, checking its balance, importing and re-syncing
its services into the catalog."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from smmpanel.billing.money import div_round_half_up, to_micros
from smmpanel.catalog.models import Service
from smmpanel.catalog.service_types import DEFAULT, type_named
from smmpanel.catalog.services import create_service, get_or_create_category, update_service
from smmpanel.providers.client import ProviderError, RemoteService
from smmpanel.providers.gateway import client_for
from smmpanel.providers.models import Provider, ServiceRoute
from smmpanel.providers.secrets import seal
from smmpanel.providers.url_safety import check_provider_url

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


def refresh_balance(provider: Provider) -> None:
    """Ask the provider for our balance there and keep it for staff to see."""
    try:
        amount, currency = client_for(provider).balance()
    except ProviderError as exc:
        Provider.objects.filter(pk=provider.pk).update(last_error=exc.message[:500])
        return
    Provider.objects.filter(pk=provider.pk).update(
        balance_micros=to_micros(round(amount, 6)),
        balance_currency=(currency or "")[:3],
        balance_checked_at=timezone.now(),
    )


def price_with_markup(cost_micros: int, markup_percent: Decimal) -> int:
    """Our rate for a provider cost plus ``markup_percent``, rounded half-up to a micro."""
    basis_points = int((Decimal(markup_percent) * 100).to_integral_value())
    return div_round_half_up(cost_micros * (10_000 + basis_points), 10_000)


@dataclass
class ImportResult:
    created: list[Service] = field(default_factory=list)
    skipped: int = 0


def import_services(
    provider: Provider, *, markup_percent: Decimal, only: set[str] | None = None
) -> ImportResult:
    """Create catalog services for the provider's services not yet routed here.

    Prices are the provider's rate plus the markup; platform and link format are
    guessed from the name and category and can be corrected by staff afterwards.
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
    """
    remote = {s.service: s for s in client_for(provider).services()}
    counts = {"updated": 0, "paused": 0}
    routes = ServiceRoute.objects.filter(provider=provider).select_related("service")
    for route in routes:
        offer = remote.get(route.provider_service_id)
        service = route.service
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
            changes = {
                "min_quantity": max(offer.min, 1),
                "max_quantity": max(offer.max, offer.min, 1),
                "refill": offer.refill,
                "cancel": offer.cancel,
            }
            if is_primary and cost > service.rate_micros and service.active:
                changes["active"] = False
                counts["paused"] += 1
            if any(getattr(service, k) != v for k, v in changes.items()):
                update_service(service, **changes)
                counts["updated"] += 1
    return counts


def route_unrouted_services(provider: Provider) -> int:
    """Route every catalog service that has no route to the provider's best match:
    same type, limits that cover ours; returns how many were routed (demo set-up)."""
    offers = client_for(provider).services()
    routed = 0
    for service in Service.objects.filter(routes__isnull=True):
        same_type = [o for o in offers if (type_named(o.type) or DEFAULT).slug == service.type]
        covering = [
            o for o in same_type if o.min <= service.min_quantity and o.max >= service.max_quantity
        ]
        offer = (covering or same_type or [None])[0]
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
