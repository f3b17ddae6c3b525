"""Reads for the catalog."""

from django.db.models import QuerySet

from smmpanel.catalog.models import Service, ServiceUpdate


def active_services() -> QuerySet[Service]:
    return Service.objects.filter(active=True).select_related("category__platform")


def orderable_service(service_id: object) -> Service | None:
    """The active service with public id ``service_id`` (any spelling of an int), or None."""
    try:
        pk = int(str(service_id).strip())
    except (TypeError, ValueError):
        return None
    if pk <= 0 or pk > 2**62:
        return None
    return Service.objects.filter(pk=pk, active=True).select_related("category").first()


def recent_updates(limit: int = 200) -> QuerySet[ServiceUpdate]:
    return ServiceUpdate.objects.select_related("service")[:limit]
