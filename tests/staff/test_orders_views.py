"""Staff orders page: filters, keyset pages and bulk actions (each order through the
product's own services, each audited, failures reported per order)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from smmpanel.accounts.models import User
from smmpanel.audit.models import Decision
from smmpanel.billing.models import LedgerEntry
from smmpanel.billing.selectors import balance_of, ledger_mismatches
from smmpanel.orders.models import Order, OrderStatus
from smmpanel.orders.state import transition
from smmpanel.providers.models import Provider, Submission
from smmpanel.providers.secrets import seal
from smmpanel.staff.actions import orders as order_actions
from tests.factories import make_order, make_service, make_user
from tests.factories import make_staff as staff_member


@pytest.fixture
def shopper(db):
    return make_user("100")


def listing(client, **params) -> str:
    response = client.get("/staff/orders/", params)
    assert response.status_code == 200
    return response.content.decode()


def shown(html: str, order: Order) -> bool:
    return f'id="order-{order.pk}"' in html


def bulk(client, orders, action: str, reason: str = "checked", **extra):
    data = {"order": [o.pk for o in orders], "action": action, "reason": reason, **extra}
    return client.post("/staff/orders/bulk/", data, follow=True)


# --- access ------------------------------------------------------------------------------


def test_a_customer_is_sent_to_the_staff_login(client, shopper):
    client.force_login(shopper)
    response = client.get("/staff/orders/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_customer_cannot_run_a_bulk_action(client, shopper, service):
    order = make_order(shopper, service)
    client.force_login(shopper)
    bulk(client, [order], order_actions.BULK_CANCEL)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_a_staff_member_without_a_role_gets_403(client, db):
    client.force_login(staff_member(""))
    assert client.get("/staff/orders/").status_code == 403


@pytest.mark.parametrize("role", [User.StaffRole.SUPPORT, User.StaffRole.MODERATOR])
def test_support_and_moderators_open_the_orders_page(client, db, role):
    client.force_login(staff_member(role))
    assert client.get("/staff/orders/").status_code == 200


# --- filters -----------------------------------------------------------------------------


def test_filter_by_status(as_support, shopper, service):
    pending, failed = make_order(shopper, service), make_order(shopper, service)
    transition(failed, OrderStatus.FAIL)
    html = listing(as_support, status="fail")
    assert shown(html, failed) and not shown(html, pending)


def test_filter_by_provider_of_the_submission(as_support, shopper, service):
    sent, other = make_order(shopper, service), make_order(shopper, service)
    provider = Provider.objects.create(
        name="Up",
        api_url="https://up.example/api/v2",
        api_key_sealed=seal("k-1234"),
        api_key_last4="1234",
    )
    Submission.objects.filter(order=sent).update(provider=provider)
    html = listing(as_support, provider=provider.pk)
    assert shown(html, sent) and not shown(html, other)


def test_filter_by_service(as_support, shopper, service):
    other_service = make_service()
    mine, other = make_order(shopper, service), make_order(shopper, other_service)
    html = listing(as_support, service=service.pk)
    assert shown(html, mine) and not shown(html, other)


def test_filter_by_customer_email(as_support, shopper, service):
    mine, other = make_order(shopper, service), make_order(make_user("10"), service)
    html = listing(as_support, email=shopper.email.split("@")[0].upper())
    assert shown(html, mine) and not shown(html, other)


def test_filter_by_customer_id(as_support, shopper, service):
    mine, other = make_order(shopper, service), make_order(make_user("10"), service)
    html = listing(as_support, user=shopper.pk)
    assert shown(html, mine) and not shown(html, other)


def test_filter_by_date_range(as_support, shopper, service):
    old, new = make_order(shopper, service), make_order(shopper, service)
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    today = timezone.now().date()
    html = listing(as_support, date_from=today - timedelta(days=1), date_to=today)
    assert shown(html, new) and not shown(html, old)


def test_filter_by_part_of_the_link(as_support, shopper, service):
    wanted = make_order(shopper, service, link="https://www.instagram.com/p/WantedPost/")
    other = make_order(shopper, service)
    html = listing(as_support, link="wantedpost")
    assert shown(html, wanted) and not shown(html, other)


def test_the_list_pages_by_id(as_support, shopper, service):
    from smmpanel.staff.views import orders as views_orders

    orders = [make_order(shopper, service) for _ in range(3)]
    views_orders.PAGE_SIZE, size = 2, views_orders.PAGE_SIZE
    try:
        first = listing(as_support)
        second = listing(as_support, before=orders[1].pk)
    finally:
        views_orders.PAGE_SIZE = size
    assert shown(first, orders[2]) and not shown(first, orders[0])
    assert shown(second, orders[0]) and not shown(second, orders[2])


# --- bulk actions ------------------------------------------------------------------------


def test_bulk_cancel_refunds_each_order_once_and_audits_it(as_support, support, shopper, service):
    orders = [make_order(shopper, service) for _ in range(2)]
    bulk(as_support, orders, order_actions.BULK_CANCEL, reason="customer asked")
    assert balance_of(shopper) == 100_000_000
    assert LedgerEntry.objects.filter(user=shopper, kind="refund").count() == 2
    audits = Decision.objects.filter(rule_code="order.cancel", actor=support)
    assert {(a.order_id, a.reason) for a in audits} == {(o.pk, "customer asked") for o in orders}


def test_a_bulk_failure_is_reported_per_order_and_the_rest_proceed(
    as_support, support, shopper, service
):
    first, done, last = (make_order(shopper, service) for _ in range(3))
    order_actions.staff_complete(done, actor=support, reason="delivered")
    response = bulk(as_support, [first, done, last], order_actions.BULK_CANCEL)
    html = response.content.decode()
    assert f"Order {done.pk}:" in html
    assert {o.status for o in Order.objects.filter(pk__in=[first.pk, last.pk])} == {"canceled"}
    assert Order.objects.get(pk=done.pk).status == OrderStatus.COMPLETED


def test_bulk_mark_partial_refunds_each_orders_remains(as_support, shopper, service):
    a, b = make_order(shopper, service), make_order(shopper, service)
    bulk(
        as_support,
        [a, b],
        order_actions.BULK_PARTIAL,
        **{f"value-{a.pk}": "25", f"value-{b.pk}": "50"},
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.remains, b.status, b.remains) == ("partial", 25, "partial", 50)
    assert not ledger_mismatches()


def test_bulk_set_start_count(as_support, support, shopper, service):
    order = make_order(shopper, service)
    bulk(as_support, [order], order_actions.BULK_START_COUNT, **{f"value-{order.pk}": "4321"})
    order.refresh_from_db()
    assert order.start_count == 4321
    assert Decision.objects.get(rule_code="order.start_count").actor == support


def test_bulk_mark_completed(as_support, support, shopper, service):
    order = make_order(shopper, service)
    bulk(as_support, [order], order_actions.BULK_COMPLETE)
    order.refresh_from_db()
    assert (order.status, order.remains) == (OrderStatus.COMPLETED, 0)
    assert Decision.objects.get(rule_code="order.complete").actor == support


def test_bulk_resend_resends_failed_orders_only(as_support, shopper, service):
    failed, pending = make_order(shopper, service), make_order(shopper, service)
    transition(failed, OrderStatus.FAIL)
    html = bulk(as_support, [failed, pending], order_actions.BULK_RESEND).content.decode()
    assert Order.objects.get(pk=failed.pk).status == OrderStatus.PENDING
    assert f"Order {pending.pk}:" in html and "Only a failed order can be resent" in html


def test_a_bulk_action_without_a_reason_changes_nothing(as_support, shopper, service):
    order = make_order(shopper, service)
    bulk(as_support, [order], order_actions.BULK_CANCEL, reason="")
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert not Decision.objects.filter(rule_code="order.cancel").exists()


def test_a_bulk_action_with_a_bad_value_changes_nothing(as_support, shopper, service):
    order = make_order(shopper, service)
    bulk(as_support, [order], order_actions.BULK_PARTIAL, **{f"value-{order.pk}": "-5"})
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_a_bulk_action_goes_back_to_the_filtered_list(as_support, shopper, service):
    order = make_order(shopper, service)
    response = as_support.post(
        "/staff/orders/bulk/",
        {
            "order": [order.pk],
            "action": order_actions.BULK_START_COUNT,
            "reason": "x",
            f"value-{order.pk}": "1",
            "next": "/staff/orders/?status=pending",
        },
    )
    assert response["Location"] == "/staff/orders/?status=pending"


def test_a_bulk_action_never_redirects_off_site(as_support, shopper, service):
    order = make_order(shopper, service)
    response = as_support.post(
        "/staff/orders/bulk/",
        {
            "order": [order.pk],
            "action": order_actions.BULK_START_COUNT,
            "reason": "x",
            f"value-{order.pk}": "1",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == "/staff/orders/"
