"""The service picker of the new-order page: active services by platform and category,
searched by id and name."""

import pytest

from smmpanel.catalog.models import Service
from smmpanel.catalog.selectors import service_picker
from tests.factories import make_service


@pytest.fixture
def catalog(db):
    return {
        "likes": make_service(name="Instagram Likes"),
        "views": make_service(name="TikTok Перегляди", platform="TikTok"),
        "off": make_service(name="Old Likes", active=False),
    }


def test_the_picker_lists_active_services_grouped_by_platform_and_category(catalog):
    picker = service_picker()
    labels = {g.label: [s.name for s in g.services] for g in picker.groups}
    assert labels == {
        "Instagram — Likes": ["Instagram Likes"],
        "TikTok — Likes": ["TikTok Перегляди"],
    }


def test_the_picker_narrows_by_platform(catalog):
    tiktok = catalog["views"].category.platform
    picker = service_picker(platform_id=str(tiktok.pk))
    assert picker.platform == tiktok and picker.count == 1


def test_the_picker_offers_the_categories_of_the_chosen_platform(catalog):
    tiktok = catalog["views"].category.platform
    picker = service_picker(platform_id=tiktok.pk)
    assert picker.categories == [catalog["views"].category]


def test_the_picker_searches_names_in_any_case_cyrillic_too(catalog):
    picker = service_picker(search="ПЕРЕГЛЯДИ")
    assert [s.pk for g in picker.groups for s in g.services] == [catalog["views"].pk]


def test_the_picker_searches_by_service_id(catalog):
    picker = service_picker(search=str(catalog["likes"].pk))
    assert catalog["likes"] in [s for g in picker.groups for s in g.services]


def test_the_picker_leaves_out_inactive_services(catalog):
    picker = service_picker(search="old")
    assert picker.count == 0 and Service.objects.filter(active=False).exists()
