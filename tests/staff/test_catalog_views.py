"""Staff catalog pages: services and categories, bulk price changes, provider routes.
Support agents cannot change prices; every change is audited and public changes are
service updates."""

import pytest

from smmpanel.accounts.models import User
from smmpanel.audit.models import Decision
from smmpanel.catalog import link_formats, service_types
from smmpanel.catalog.models import Category, Service, ServiceUpdate
from smmpanel.money import to_micros
from smmpanel.providers.models import Provider, ServiceRoute
from smmpanel.providers.secrets import seal
from tests.factories import make_service, make_user


def staff_member(role: str) -> User:
    user = make_user(role=User.Role.STAFF)
    User.objects.filter(pk=user.pk).update(staff_role=role, is_superuser=False)
    user.refresh_from_db()
    return user


@pytest.fixture
def owner(db):
    return staff_member("owner")


@pytest.fixture
def staff(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def upstream(db):
    return Provider.objects.create(
        name="Upstream",
        api_url="https://upstream.example/api/v2",
        api_key_sealed=seal("k-1234"),
        api_key_last4="1234",
    )


def service_form(service: Service | None = None, **changes) -> dict:
    """A complete edit form for ``service`` (or a new one), with ``changes``."""
    data = {
        "category": service.category_id if service else make_service().category_id,
        "name": service.name if service else "Telegram Members",
        "type": service.type if service else "default",
        "rate": "0.90",
        "min_quantity": service.min_quantity if service else 100,
        "max_quantity": service.max_quantity if service else 5000,
        "refill_days": 0,
        "link_format": service.link_format if service else "telegram_channel",
        "active": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def audit_actions() -> list[str]:
    return list(Decision.objects.order_by("id").values_list("rule_code", flat=True))


# -- access ----------------------------------------------------------------------------------


def test_support_cannot_open_the_services_page(client, db):
    client.force_login(staff_member("support"))
    assert client.get("/staff/catalog/services/").status_code == 403


def test_support_cannot_change_a_price(client, db):
    service = make_service(rate_micros=to_micros("0.90"))
    client.force_login(staff_member("support"))
    response = client.post(
        f"/staff/catalog/services/{service.pk}/", service_form(service, rate="0.01")
    )
    service.refresh_from_db()
    assert response.status_code == 403 and service.rate_micros == to_micros("0.90")


def test_support_cannot_change_prices_in_bulk(client, db):
    service = make_service(rate_micros=to_micros("0.90"))
    client.force_login(staff_member("support"))
    data = {"action": "percent", "percent": "-50", "services": [service.pk]}
    assert client.post("/staff/catalog/services/bulk/", data).status_code == 403


def test_a_moderator_cannot_add_a_route(client, upstream):
    service = make_service()
    client.force_login(staff_member("moderator"))
    data = {
        "provider": upstream.pk,
        "provider_service_id": "7",
        "cost": "0.5",
        "markup_percent": "0",
        "priority": 0,
    }
    response = client.post(f"/staff/catalog/services/{service.pk}/routes/", data)
    assert response.status_code == 403 and not ServiceRoute.objects.exists()


def test_a_customer_is_sent_to_the_staff_login(client, customer):
    client.force_login(customer)
    response = client.get("/staff/catalog/services/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# -- the list --------------------------------------------------------------------------------


def test_the_list_shows_disabled_services_too(staff):
    service = make_service(name="Hidden gem", active=False)
    html = staff.get("/staff/catalog/services/").content.decode()
    assert service.name in html


def test_the_list_filters_by_state(staff):
    make_service(name="On sale")
    make_service(name="Paused one", active=False)
    html = staff.get("/staff/catalog/services/?state=inactive").content.decode()
    assert "Paused one" in html and "On sale" not in html


def test_the_list_filters_by_category(staff):
    make_service(name="Insta likes")
    make_service(name="Tok views", platform="TikTok")
    tiktok = Category.objects.get(platform__name="TikTok")
    html = staff.get(f"/staff/catalog/services/?category={tiktok.pk}").content.decode()
    assert "Tok views" in html and "Insta likes" not in html


def test_the_list_finds_a_service_by_id(staff):
    wanted, _ = make_service(name="Wanted"), make_service(name="Other")
    html = staff.get(f"/staff/catalog/services/?q={wanted.pk}").content.decode()
    assert "Wanted" in html and "Other" not in html


# -- create and edit -------------------------------------------------------------------------


def test_the_form_offers_every_type_and_link_format(staff):
    html = staff.get("/staff/catalog/services/new/").content.decode()
    assert all(f'value="{slug}"' in html for slug, _ in service_types.CHOICES)
    assert all(f'value="{f.code}"' in html for f in link_formats.LINK_FORMATS)


def test_creating_a_service_announces_it(staff):
    staff.post("/staff/catalog/services/new/", service_form())
    service = Service.objects.get(name="Telegram Members")
    assert service.rate_micros == to_micros("0.90")
    assert service.updates.filter(kind=ServiceUpdate.Kind.CREATED).exists()


def test_creating_a_service_is_audited(staff, owner):
    staff.post("/staff/catalog/services/new/", service_form())
    assert Decision.objects.get(rule_code="service.create").actor == owner


def test_editing_the_rate_is_a_public_update(staff):
    service = make_service(rate_micros=to_micros("0.90"))
    staff.post(f"/staff/catalog/services/{service.pk}/", service_form(service, rate="1.05"))
    update = service.updates.get(kind=ServiceUpdate.Kind.RATE)
    assert (update.old_value, update.new_value) == ("0.90", "1.05")


def test_editing_is_audited(staff):
    service = make_service(rate_micros=to_micros("0.90"))
    staff.post(f"/staff/catalog/services/{service.pk}/", service_form(service, rate="1.05"))
    assert audit_actions() == ["service.update"]


def test_a_minimum_above_the_maximum_is_refused(staff):
    service = make_service()
    data = service_form(service, min_quantity=500, max_quantity=100)
    response = staff.post(f"/staff/catalog/services/{service.pk}/", data)
    assert "must not be below the minimum" in response.content.decode()
    assert audit_actions() == []


def test_disabling_from_the_list_is_a_public_update(staff):
    service = make_service()
    staff.post(f"/staff/catalog/services/{service.pk}/toggle/")
    service.refresh_from_db()
    assert not service.active
    assert service.updates.filter(kind=ServiceUpdate.Kind.DISABLED).exists()


def test_enabling_from_the_list(staff):
    service = make_service(active=False)
    staff.post(f"/staff/catalog/services/{service.pk}/toggle/")
    service.refresh_from_db()
    assert service.active


# -- order -----------------------------------------------------------------------------------


def test_moving_a_service_up(staff):
    a, b = make_service(), make_service()
    staff.post(f"/staff/catalog/services/{b.pk}/move/up/")
    rows = Service.objects.filter(category=a.category).order_by("position", "id")
    assert list(rows.values_list("pk", flat=True)) == [b.pk, a.pk]


def test_moving_goes_back_to_the_filtered_list(staff):
    _, b = make_service(), make_service()
    data = {"next": "/staff/catalog/services/?state=active"}
    response = staff.post(f"/staff/catalog/services/{b.pk}/move/up/", data)
    assert response["Location"] == "/staff/catalog/services/?state=active"


def test_moving_never_redirects_off_site(staff):
    service = make_service()
    data = {"next": "https://evil.example/"}
    response = staff.post(f"/staff/catalog/services/{service.pk}/move/up/", data)
    assert response["Location"] == "/staff/catalog/services/"


def test_moving_a_category_is_audited(staff):
    likes = make_service().category
    views = Category.objects.create(platform=likes.platform, name="Views", position=5)
    staff.post(f"/staff/catalog/categories/{views.pk}/move/up/")
    assert audit_actions() == ["category.move"]


# -- categories ------------------------------------------------------------------------------


def test_creating_a_category(staff):
    staff.post("/staff/catalog/categories/", {"platform_name": "Threads", "name": "Followers"})
    assert Category.objects.filter(platform__name="Threads", name="Followers").exists()


def test_creating_a_duplicate_category_shows_an_error(staff):
    staff.post("/staff/catalog/categories/", {"platform_name": "Threads", "name": "Followers"})
    response = staff.post(
        "/staff/catalog/categories/", {"platform_name": "Threads", "name": "Followers"}
    )
    assert "already exists" in response.content.decode()


def test_renaming_a_category(staff):
    category = make_service().category
    staff.post(
        f"/staff/catalog/categories/{category.pk}/",
        {"platform_name": "Instagram", "name": "Hearts"},
    )
    category.refresh_from_db()
    assert category.name == "Hearts" and audit_actions() == ["category.update"]


# -- bulk price change -----------------------------------------------------------------------


def test_bulk_percentage_on_ticked_services_rounds_half_up(staff):
    a = make_service(rate_micros=1_000_005)
    b = make_service(rate_micros=to_micros("0.90"))
    untouched = make_service(rate_micros=to_micros("0.90"))
    staff.post(
        "/staff/catalog/services/bulk/",
        {"action": "percent", "percent": "10", "services": [a.pk, b.pk]},
    )
    rates = dict(Service.objects.values_list("pk", "rate_micros"))
    assert (rates[a.pk], rates[b.pk], rates[untouched.pk]) == (1_100_006, 990_000, 900_000)


def test_bulk_percentage_on_a_category(staff):
    insta = make_service(rate_micros=to_micros("1.00"))
    tiktok = make_service(rate_micros=to_micros("1.00"), platform="TikTok")
    data = {"action": "percent", "percent": "-12.5", "category": insta.category_id}
    staff.post("/staff/catalog/services/bulk/", data)
    rates = dict(Service.objects.values_list("pk", "rate_micros"))
    assert (rates[insta.pk], rates[tiktok.pk]) == (875_000, 1_000_000)


def test_bulk_percentage_publishes_each_change(staff):
    a, b = make_service(), make_service()
    staff.post(
        "/staff/catalog/services/bulk/",
        {"action": "percent", "percent": "5", "services": [a.pk, b.pk]},
    )
    rate_updates = ServiceUpdate.objects.filter(kind=ServiceUpdate.Kind.RATE)
    assert sorted(rate_updates.values_list("service_id", flat=True)) == [a.pk, b.pk]


def test_bulk_percentage_audits_each_change(staff):
    a, b = make_service(), make_service()
    staff.post(
        "/staff/catalog/services/bulk/",
        {"action": "percent", "percent": "5", "services": [a.pk, b.pk]},
    )
    assert audit_actions() == ["service.update", "service.update"]


def test_bulk_without_a_selection_changes_nothing(staff):
    service = make_service(rate_micros=to_micros("0.90"))
    response = staff.post(
        "/staff/catalog/services/bulk/", {"action": "percent", "percent": "5"}, follow=True
    )
    service.refresh_from_db()
    assert service.rate_micros == to_micros("0.90")
    assert "Tick some services" in response.content.decode()


def test_bulk_percentage_needs_a_percentage(staff):
    service = make_service(rate_micros=to_micros("0.90"))
    staff.post("/staff/catalog/services/bulk/", {"action": "percent", "services": [service.pk]})
    service.refresh_from_db()
    assert service.rate_micros == to_micros("0.90")


def test_bulk_disable(staff):
    a, b = make_service(), make_service()
    staff.post("/staff/catalog/services/bulk/", {"action": "disable", "services": [a.pk, b.pk]})
    assert not Service.objects.filter(active=True).exists()


# -- provider routes -------------------------------------------------------------------------


def add_route(client, service, provider, **changes):
    data = {
        "provider": provider.pk,
        "provider_service_id": "77",
        "cost": "0.60",
        "markup_percent": "25",
        "priority": 0,
        **changes,
    }
    return client.post(f"/staff/catalog/services/{service.pk}/routes/", data)


def test_adding_a_route(staff, upstream):
    service = make_service()
    add_route(staff, service, upstream)
    route = ServiceRoute.objects.get(service=service)
    assert (route.provider_service_id, route.cost_micros, route.priority) == ("77", 600_000, 0)


def test_adding_a_route_is_audited(staff, upstream):
    add_route(staff, make_service(), upstream)
    assert audit_actions() == ["route.add"]


def test_a_second_route_to_the_same_provider_is_refused(staff, upstream):
    service = make_service()
    add_route(staff, service, upstream)
    response = add_route(staff, service, upstream, provider_service_id="78", priority=1)
    assert "already routed" in response.content.decode()
    assert ServiceRoute.objects.count() == 1


def test_the_routes_page_lists_routes_in_fallback_order(staff, upstream):
    service = make_service()
    backup = Provider.objects.create(
        name="Backup",
        api_url="https://b.example/api/v2",
        api_key_sealed=seal("x"),
        api_key_last4="x",
    )
    add_route(staff, service, backup, priority=1)
    add_route(staff, service, upstream, priority=0)
    html = staff.get(f"/staff/catalog/services/{service.pk}/routes/").content.decode()
    assert html.index("Upstream") < html.index("Backup")


def test_changing_a_routes_priority(staff, upstream):
    add_route(staff, make_service(), upstream)
    route = ServiceRoute.objects.get()
    staff.post(
        f"/staff/catalog/routes/{route.pk}/",
        {"priority": 3, "markup_percent": "25", "active": "on"},
    )
    route.refresh_from_db()
    assert route.priority == 3 and "route.update" in audit_actions()


def test_repricing_from_a_route_is_a_public_rate_update(staff, upstream):
    service = make_service(rate_micros=to_micros("0.90"))
    add_route(staff, service, upstream)  # cost 0.60
    route = ServiceRoute.objects.get()
    data = {"priority": 0, "markup_percent": "100", "active": "on", "reprice": "on"}
    staff.post(f"/staff/catalog/routes/{route.pk}/", data)
    update = service.updates.get(kind=ServiceUpdate.Kind.RATE)
    assert (update.old_value, update.new_value) == ("0.90", "1.20")


def test_removing_a_route(staff, upstream):
    add_route(staff, make_service(), upstream)
    route = ServiceRoute.objects.get()
    staff.post(f"/staff/catalog/routes/{route.pk}/remove/")
    assert not ServiceRoute.objects.exists() and "route.remove" in audit_actions()
