"""Every staff action lands in the audit log with who did it and why (issue 16, item 20).

The staff pages come from the URL resolver (as the access suite's do); each one is
POSTed by an owner, with every word its path takes and real objects of the kind it acts
on, each attempt rolled back before the next. Whatever a POST writes must come with a
new audit record (``policy.Decision``) naming the staff member and saying why; a page
that handles POST must write (and so be proven) at least once.
"""

from contextlib import contextmanager

import pytest
from django.db import transaction

from smmpanel.accounts.models import User
from smmpanel.audit.models import Decision
from smmpanel.catalog.services import get_or_create_category
from smmpanel.orders.models import OrderStatus
from smmpanel.orders.state import transition
from smmpanel.policy.models import DenyEntry
from smmpanel.providers.models import Provider
from smmpanel.providers.services import add_provider
from smmpanel.providers.simulator.server import serve
from tests.factories import make_order, make_service, make_staff, make_user
from tests.security.access import MARK, STAFF_FORM, database_state, staff_routes
from tests.security.conftest import back_office, victim  # noqa: F401 - fixtures
from tests.security.test_staff_access import _staff_urls

WHY = "audit-why-7Qz"  # the reason every form gives
# The audit log itself, and the rows a staff page's GET may seed.
NOT_A_CHANGE = {"policy.Decision"}


def _forms(office) -> dict[str, dict]:
    """What each staff page's form needs besides ``STAFF_FORM`` to be valid."""
    service = office.ids["service"][0]
    service_fields = {
        "category": office.ids["category"][0],
        "name": "Audited service",
        "type": "default",
        "rate": "1.50",
        "min_quantity": "10",
        "max_quantity": "1000",
        "refill_days": "0",
        "link_format": "instagram_post",
        "active": "on",
        "note": WHY,
    }
    return {
        "deny": {"kind": DenyEntry.Kind.KEYWORD, "value": "spam-audit"},
        "user-do": {"service": service, "amount": "1.00", "value": "10"},
        "orders-bulk": {"action": "cancel", "order": office.ids["order"]},
        "order-action": {"start_count": "5"},
        "services-bulk": {"action": "disable", "services": [service]},
        "service-new": service_fields,
        "service-edit": service_fields,
        "service-routes": {
            "provider": office.ids["provider"][1],
            "provider_service_id": "77",
            "cost": "0.5",
            "markup_percent": "10",
            "priority": "1",
        },
        "route-edit": {"priority": "2", "markup_percent": "5", "active": "on"},
        "categories": {"platform_name": "Instagram", "name": "Audited category"},
        "category-edit": {"platform_name": "Instagram", "name": "Audited category"},
        "provider-new": {
            "name": "Audited provider",
            "api_url": "https://8.8.8.8/api/v2",
            "api_key": "k",
        },
        "provider-edit": {
            "name": "Audited provider",
            "api_url": "https://8.8.8.8/api/v2",
            "active": "on",
        },
        "provider-import": {"markup_percent": "30"},
        "chargeback": {"amount": "1.00", "memo": WHY},
        "ticket": {"body": WHY},
        "canned-replies": {"title": "Audited", "body": WHY},
        "settings": {"site_name": "Audited panel"},
        "payment-settings": {"from_amount": "50", "percent": "5"},
        "payment-gateway": {
            "enabled": "on",
            "position": "3",
            "fee_percent": "2.9",
            "fee_fixed": "0.30",
            "fee_paid_by": "customer",
        },
        "currencies": {"code": "UAH", "rate": "41.235"},
        "announcements": NEWS_FORM,
        "announcement-edit": NEWS_FORM,
        "pages": PAGE_FORM | {"slug": "audited-new"},
        "page-edit": PAGE_FORM | {"slug": "audited-edit"},
    }


NEWS_FORM = {"title_en": "Audited", "title_uk": "Перевірено", "body_en": WHY, "body_uk": WHY}
PAGE_FORM = {
    "title_en": "Audited",
    "title_uk": "Перевірено",
    "body_en": WHY,
    "body_uk": WHY,
    "published": "on",
    "in_footer": "on",
    "position": "1",
}


# Staff pages that only show things: every other staff page takes a POST that writes,
# and must be proven to (a new page is one until it is listed here).
READ_ONLY = {
    "moderation",
    "rules",
    "audit",
    "tickets",
    "deposits",
    "users",
    "user",
    "view-as",
    "orders",
    "services",
    "providers",
    "reports",
    "report",
    "order",
    "orders-export",
}
# Pages whose form asks staff for the reason (or note, memo): the record keeps their words.
# The others' records say what was done, worded by the panel.
ASK_WHY = {
    "order-action",
    "user-action",
    "lift",
    "refill-action",
    "rule-edit",
    "deny",
    "deny-remove",
    "deposit-action",
    "chargeback",
    "user-do",
    "user-lift",
    "orders-bulk",
    "settings",
    "payment-settings",
    "payment-gateway",
}


@contextmanager
def _rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def office(back_office, victim):  # noqa: F811 - the imported fixtures
    """The access suite's back office, with orders in every state staff act on and its
    provider a real simulator (so provider pages have someone to ask)."""
    service, customer = make_service(), make_user("100")  # the victim may not order now
    held = make_order(customer, service)
    transition(held, OrderStatus.REVIEW)
    failed = make_order(customer, service)
    transition(failed, OrderStatus.FAIL)
    running = make_order(customer, service)
    transition(running, OrderStatus.IN_PROGRESS)
    back_office.ids["order"] += [held.pk, failed.pk, running.pk]
    # A second provider (for a new route) and a category beside the service's (to move).
    back_office.ids["provider"].append(
        add_provider("Audited spare", "http://127.0.0.1:9/api/v2", "k", allow_private=True).pk
    )
    get_or_create_category("Instagram", "Audited neighbours")
    simulator = serve(key=f"key-{MARK}", banner=False)
    Provider.objects.filter(pk__in=back_office.ids["provider"]).update(api_url=simulator.url)
    yield back_office
    simulator.shutdown()


@pytest.mark.parametrize("route", staff_routes(), ids=lambda r: r.name or r.route)
def test_every_staff_post_writes_an_audit_record_with_who_and_why(client, office, route):
    staff = make_staff(User.StaffRole.OWNER)
    client.force_login(staff)
    form = STAFF_FORM | {"reason": WHY, "note": WHY} | _forms(office).get(route.name, {})
    writes = []
    for url in _staff_urls(route, office):
        with _rolled_back():
            before, last = database_state(), Decision.objects.order_by("-pk").first()
            client.post(url, form)
            after = database_state()
            changed = sorted(k for k in before if before[k] != after[k] and k not in NOT_A_CHANGE)
            if not changed:
                continue
            writes.append(url)
            # Rules the action runs may add records of their own (the system's): one at
            # least must be the staff member's, and every one of those must say why.
            audited = Decision.objects.filter(pk__gt=last.pk if last else 0, actor=staff)
            assert audited.exists(), f"POST {url} changed {changed} without {staff}'s record"
            for record in audited:
                assert record.reason.strip(), f"POST {url}: {record.rule_code} says not why"
            if route.name in ASK_WHY:  # the action's own record keeps the staff's words
                assert any(WHY in r.reason for r in audited), f"POST {url} lost the why"
    if route.name not in READ_ONLY:
        assert writes, f"no POST of {route.name} wrote anything: give its form in _forms()"


def test_every_read_only_staff_page_is_a_staff_page():
    assert {route.name for route in staff_routes()} >= READ_ONLY
