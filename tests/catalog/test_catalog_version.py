"""The catalog's version (``CatalogVersion``): the database raises it with every change
to services, categories and platforms, bulk and raw ones included, and a process whose
copy of the active catalog is old reads only the version while it has not moved."""

import pytest
from django.conf import settings
from django.db import connection

from smmpanel.catalog import active_catalog
from smmpanel.catalog.models import CatalogVersion, Category, Platform, Service
from tests.factories import make_service

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def version_row():
    # A flush between transactional tests empties the table the migration filled.
    CatalogVersion.objects.get_or_create(pk=1)


def version() -> int:
    return CatalogVersion.objects.get(pk=1).counter


def old_copy(monkeypatch) -> None:
    """Move this process's clock past the catalog's cache time."""
    now = active_catalog._clock()
    later = now + settings.CATALOG_CACHE_SECONDS + 1
    monkeypatch.setattr(active_catalog, "_clock", lambda: later)


def test_a_bulk_update_of_services_raises_the_version():
    service = make_service()
    before = version()

    Service.objects.filter(pk=service.pk).update(active=False)  # no signal

    assert version() > before


@pytest.mark.parametrize("table", ["catalog_service", "catalog_category", "catalog_platform"])
def test_raw_sql_on_any_catalog_table_raises_the_version(table):
    make_service()
    before = version()

    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET id = id")

    assert version() > before


def test_creating_and_deleting_rows_raise_the_version():
    before = version()
    platform = Platform.objects.create(name="Versioned", slug="versioned")
    created = version()
    Category.objects.filter(platform=platform).delete()
    platform.delete()

    assert before < created < version()


@pytest.mark.django_db(transaction=True)  # committed, as staff's saves are
def test_an_old_copy_of_an_unchanged_catalog_costs_one_small_query(
    monkeypatch, django_assert_num_queries
):
    make_service()
    first = active_catalog.active_catalog()
    old_copy(monkeypatch)

    with django_assert_num_queries(1) as captured:
        catalog = active_catalog.active_catalog()

    assert catalog is first  # the same copy, kept
    assert "catalog_catalogversion" in captured.captured_queries[0]["sql"]
    assert "catalog_service" not in captured.captured_queries[0]["sql"]
    with django_assert_num_queries(0):  # fresh again
        assert active_catalog.active_catalog() is first


@pytest.mark.django_db(transaction=True)  # committed, as staff's saves are
def test_an_old_copy_of_a_changed_catalog_is_read_again(monkeypatch):
    service = make_service()
    active_catalog.active_catalog()
    Service.objects.filter(pk=service.pk).update(active=False)  # another process's change

    assert service.pk in active_catalog.active_catalog().by_id  # fresh copy: kept
    old_copy(monkeypatch)
    assert service.pk not in active_catalog.active_catalog().by_id


@pytest.mark.django_db(transaction=True)  # committed, as staff's saves are
def test_without_the_version_row_an_old_copy_is_read_again(monkeypatch):
    service = make_service()
    active_catalog.active_catalog()
    CatalogVersion.objects.all().delete()
    Service.objects.filter(pk=service.pk).update(active=False)

    old_copy(monkeypatch)

    assert service.pk not in active_catalog.active_catalog().by_id
