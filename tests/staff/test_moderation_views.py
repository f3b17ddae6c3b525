"""Staff moderation pages: one-click actions with a reason, each in the audit log."""

import pytest

from smmpanel.audit.models import Decision
from smmpanel.billing.models import LedgerEntry
from smmpanel.orders.models import OrderStatus
from smmpanel.orders.services import place_order
from smmpanel.policy.models import DenyEntry, Restriction, Rule
from smmpanel.policy.services import add_deny_entry
from tests.factories import make_service, make_user


@pytest.fixture
def held_order(db, staff):
    customer = make_user("50")
    service = make_service(type="custom comments", min_quantity=1, max_quantity=100)
    add_deny_entry("term", "scam", actor=staff, reason="fraud wording")
    order = place_order(
        customer, service, {"link": "https://instagram.com/p/Held1", "comments": "a scam\nok"}
    )
    assert order.status == OrderStatus.REVIEW
    return order


def test_customers_cannot_open_the_moderation_queue(client, db):
    client.force_login(make_user())
    response = client.get("/staff/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_queue_lists_orders_held_for_review(staff_client, held_order):
    page = staff_client.get("/staff/").content.decode()
    assert held_order.link in page and "content.sensitive" in page


def test_approving_a_held_order_makes_it_pending_and_is_audited(staff_client, held_order, staff):
    staff_client.post(f"/staff/orders/{held_order.pk}/approve/", {"reason": "quoted news"})
    held_order.refresh_from_db()
    assert held_order.status == OrderStatus.PENDING
    audit = Decision.objects.get(rule_code="order.approve")
    assert audit.actor == staff and audit.reason == "quoted news"


def test_rejecting_a_held_order_refunds_it_once(staff_client, held_order):
    for _ in range(2):
        staff_client.post(f"/staff/orders/{held_order.pk}/reject/", {"reason": "abusive"})
    held_order.refresh_from_db()
    assert held_order.status == OrderStatus.CANCELED
    refunds = LedgerEntry.objects.filter(order=held_order, kind="refund")
    assert [r.amount_micros for r in refunds] == [held_order.charge_micros]


def test_an_action_without_a_reason_changes_nothing(staff_client, held_order):
    staff_client.post(f"/staff/orders/{held_order.pk}/approve/", {"reason": " "})
    held_order.refresh_from_db()
    assert held_order.status == OrderStatus.REVIEW


def test_restricting_and_lifting_an_account(staff_client, staff):
    customer = make_user()
    staff_client.post(
        f"/staff/users/{customer.pk}/restrict/", {"level": "ordering", "reason": "spam"}
    )
    restriction = Restriction.objects.get(user=customer)
    staff_client.post(f"/staff/lift/restriction/{restriction.pk}/", {"reason": "appeal ok"})
    restriction.refresh_from_db()
    assert restriction.lifted_at is not None and restriction.lifted_by == staff


def test_editing_a_rule_bumps_its_version(staff_client):
    staff_client.get("/staff/rules/")
    rule = Rule.objects.get(code="order.large")
    staff_client.post(
        "/staff/rules/order.large/",
        {
            "enabled": "on",
            "outcome": "review",
            "thresholds": '{"review_at_micros": 1000000}',
            "message_en": rule.message_en,
            "message_uk": rule.message_uk,
            "reason": "enforce now",
        },
    )
    rule.refresh_from_db()
    assert (rule.version, rule.shadow, rule.thresholds) == (2, False, {"review_at_micros": 1000000})


def test_a_rule_with_broken_thresholds_is_not_saved(staff_client):
    staff_client.get("/staff/rules/")
    rule = Rule.objects.get(code="order.large")
    response = staff_client.post(
        "/staff/rules/order.large/",
        {
            "outcome": "review",
            "thresholds": "{oops",
            "message_en": "x",
            "message_uk": "x",
            "reason": "r",
        },
    )
    assert "Not valid JSON" in response.content.decode()
    rule.refresh_from_db()
    assert rule.version == 1


def test_deny_list_entries_are_added_and_removed(staff_client):
    staff_client.post(
        "/staff/deny/", {"kind": "domain", "value": "Evil.Example", "reason": "phish"}
    )
    entry = DenyEntry.objects.get(value="evil.example")
    staff_client.post(f"/staff/deny/{entry.pk}/remove/", {"reason": "false positive"})
    entry.refresh_from_db()
    assert not entry.active


def test_the_audit_log_is_searchable_by_rule(staff_client, held_order):
    page = staff_client.get("/staff/audit/", {"rule": "content."}).content.decode()
    assert "content.sensitive" in page
    page = staff_client.get("/staff/audit/", {"rule": "api."}).content.decode()
    assert "content.sensitive" not in page


def test_a_failed_order_is_resent_by_staff_with_its_runs_queued_again(staff_client, staff):
    from smmpanel.orders.state import transition
    from smmpanel.providers.models import Submission, SubmissionState

    order = place_order(
        make_user("20"), make_service(), {"link": "https://instagram.com/p/F1", "quantity": 100}
    )
    Submission.objects.filter(order=order).update(state=SubmissionState.UNKNOWN, error="timeout")
    transition(order, OrderStatus.FAIL, note="timeout")

    staff_client.post(f"/staff/orders/{order.pk}/resend/", {"reason": "not upstream"})

    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert Submission.objects.get(order=order).state == SubmissionState.QUEUED
    assert Decision.objects.filter(rule_code="order.resend", actor=staff).exists()


def test_a_refill_no_provider_can_settle_is_closed_by_staff(staff_client, staff):
    from smmpanel.orders.models import RefillStatus
    from smmpanel.orders.services import complete_order, request_refill

    customer = make_user("20")
    data = {"link": "https://instagram.com/p/Refill1", "quantity": 100}
    order = complete_order(place_order(customer, make_service(), data))
    refill = request_refill(customer, order.pk)
    assert f"Order {order.pk}" in staff_client.get("/staff/").content.decode()

    staff_client.post(f"/staff/refills/{refill.pk}/rejected/", {"reason": "not eligible"})

    refill.refresh_from_db()
    assert refill.status == RefillStatus.REJECTED
    assert Decision.objects.get(rule_code="refill.rejected").actor == staff
    assert request_refill(customer, order.pk).status == RefillStatus.PENDING  # may ask again
