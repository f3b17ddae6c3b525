"""What the fill draws from: the existing catalog's services and a provider.

Services are the active ones of types that need only a link and a quantity (Default,
Package…) in a link format the generator can make, weighted towards cheap high-volume
services. The provider that holds the generated upstream orders is the first active one
(e.g. the simulator) when there is one, else an *inactive* "Scale load (offline)" row at
an ``.invalid`` address, so no worker ever calls it; no routes are added (a route decides
where NEW orders go).
"""

from __future__ import annotations

from .links import LINK_SHAPES

PROVIDER_NAME = "Scale load (offline)"
# Popularity of a service by the name of its category (cheap, high-volume ones lead).
WEIGHTS = (
    ("views", 30),
    ("likes", 20),
    ("followers", 10),
    ("members", 8),
    ("subscribers", 5),
    ("traffic", 4),
    ("packages", 2),
)


def services():
    """The orderable services the generator uses: active, a link and a quantity only;
    ``(service, weight)`` pairs in id order."""
    from smmpanel.catalog.models import Service
    from smmpanel.catalog.service_types import QuantityFrom

    chosen = []
    for s in Service.objects.filter(active=True).select_related("category").order_by("id"):
        stype = s.service_type
        if (
            stype.needs_link
            and not stype.required
            and stype.quantity_from in (QuantityFrom.PARAM, QuantityFrom.PACKAGE)
            and s.link_format in LINK_SHAPES
        ):
            category = s.category.name.lower()
            weight = next((w for word, w in WEIGHTS if word in category), 3)
            chosen.append((s, weight))
    if not chosen:
        raise RuntimeError("no orderable link + quantity services: run `smmpanel seed-demo` first")
    return chosen


def cumulative_weights(chosen) -> list[float]:
    """Where each service's share of the orders starts in [0, 1) (for ``width_bucket``)."""
    total_weight = sum(w for _, w in chosen)
    cumulative, acc = [], 0
    for _, weight in chosen:
        cumulative.append(acc / total_weight)
        acc += weight
    return cumulative


def provider():
    """The provider that holds the generated upstream orders (see the module notes)."""
    from smmpanel.providers.models import Provider
    from smmpanel.providers.secrets import seal

    existing = Provider.objects.filter(active=True).order_by("id").first()
    if existing is not None:
        return existing
    found = Provider.objects.filter(name=PROVIDER_NAME).first()
    if found is None:
        api_key = "scale-offline-key"
        found = Provider.objects.create(
            name=PROVIDER_NAME,
            api_url="https://provider.scale.invalid/api/v2",
            api_key_sealed=seal(api_key),
            api_key_last4=api_key[-4:],  # as providers.services.add_provider stores it
            active=False,
        )
    return found


def staff_user():
    """The staff user who confirmed the generated deposits (None when there is none)."""
    from smmpanel.accounts.models import User

    return User.objects.filter(is_staff=True, is_active=True).order_by("id").first()
