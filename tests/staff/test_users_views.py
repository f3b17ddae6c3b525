"""Staff users pages: search, the account page, its actions (each with a reason, each in
the audit log) and the read-only "view as"."""

import pytest
from django.core import mail

from smmpanel.accounts.models import ApiKey, User
from smmpanel.accounts.services import issue_api_key
from smmpanel.audit.models import Decision
from smmpanel.billing.models import LedgerEntry
from smmpanel.billing.selectors import balance_of, ledger_mismatches
from smmpanel.billing.services import deposit
from smmpanel.catalog.models import CustomRate
from smmpanel.money import to_micros
from smmpanel.orders.models import OrderStatus
from smmpanel.policy import services as policy
from smmpanel.policy.models import ApiLimit, BalanceReview, Restriction
from smmpanel.staff.actions import catalog as price_actions
from tests.factories import make_order, make_user
from tests.factories import make_staff as staff_member


@pytest.fixture
def owner(db):
    return staff_member(User.StaffRole.OWNER)


@pytest.fixture
def support(db):
    return staff_member(User.StaffRole.SUPPORT)


@pytest.fixture
def as_owner(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def as_support(client, support):
    client.force_login(support)
    return client


@pytest.fixture
def shopper(db):
    return make_user("40")


def page(client, url: str, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


# --- access ------------------------------------------------------------------------------


def test_a_customer_is_sent_to_the_staff_login(client, shopper):
    client.force_login(shopper)
    response = client.get("/staff/users/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_customer_cannot_adjust_a_balance(client, shopper):
    client.force_login(make_user())
    client.post(
        f"/staff/users/{shopper.pk}/do/adjust/", {"direction": "add", "amount": "5", "reason": "x"}
    )
    assert balance_of(shopper) == to_micros("40")


def test_a_staff_member_without_a_role_gets_403(client, shopper):
    client.force_login(staff_member(""))
    assert client.get(f"/staff/users/{shopper.pk}/").status_code == 403


def test_a_moderator_cannot_move_money(client, shopper):
    client.force_login(staff_member(User.StaffRole.MODERATOR))
    response = client.post(
        f"/staff/users/{shopper.pk}/do/adjust/", {"direction": "add", "amount": "5", "reason": "x"}
    )
    assert response.status_code == 403
    assert balance_of(shopper) == to_micros("40")


def test_support_cannot_set_an_own_price(as_support, shopper):
    response = as_support.post(
        f"/staff/users/{shopper.pk}/do/rate/", {"kind": "discount", "value": "10", "reason": "x"}
    )
    assert response.status_code == 403
    assert not CustomRate.objects.exists()


def test_support_does_not_see_the_own_price_form(as_support, shopper):
    assert "/do/rate/" not in page(as_support, f"/staff/users/{shopper.pk}/")


# --- search ------------------------------------------------------------------------------


def test_search_finds_a_user_by_part_of_the_email_in_any_case(as_support, shopper):
    html = page(as_support, "/staff/users/", q=shopper.email.split("@")[0].upper())
    assert shopper.email in html


def test_search_finds_a_user_by_id(as_support, shopper):
    other = make_user()
    html = page(as_support, "/staff/users/", q=f"#{shopper.pk}")
    assert shopper.email in html and other.email not in html


def test_search_matches_a_ukrainian_name_in_any_case(as_support, shopper):
    User.objects.filter(pk=shopper.pk).update(name="Ївга Шевченко")
    other = make_user()
    html = page(as_support, "/staff/users/", q="ЇВГА шевч")
    assert shopper.email in html and other.email not in html


def test_the_user_list_pages_by_id(as_support, db):
    users = [make_user() for _ in range(3)]
    from smmpanel.staff.views import users as views_users

    views_users.PAGE_SIZE, size = 2, views_users.PAGE_SIZE
    try:
        first = page(as_support, "/staff/users/")
        second = page(as_support, "/staff/users/", before=users[1].pk)
    finally:
        views_users.PAGE_SIZE = size
    assert users[2].email in first and users[0].email not in first
    assert users[0].email in second and users[2].email not in second


# --- the account page --------------------------------------------------------------------


def test_the_user_page_shows_balance_and_transactions(as_support, shopper):
    html = page(as_support, f"/staff/users/{shopper.pk}/")
    assert "40.00" in html and "test deposit" in html


def test_the_user_page_pages_the_ledger_by_id(as_support, shopper):
    for n in range(30):
        deposit(shopper, to_micros("1"), memo=f"top-up {n:02d}")
    newest = page(as_support, f"/staff/users/{shopper.pk}/")
    assert "top-up 29" in newest and "top-up 02" not in newest
    oldest_id = LedgerEntry.objects.filter(user=shopper, memo="top-up 03").get().pk
    older = page(as_support, f"/staff/users/{shopper.pk}/", before=oldest_id)
    assert "top-up 02" in older and "top-up 29" not in older


def test_the_user_page_summarises_orders_by_status(as_support, shopper, service):
    make_order(shopper, service)
    html = page(as_support, f"/staff/users/{shopper.pk}/")
    assert str(OrderStatus.PENDING.label) in html


# --- actions -----------------------------------------------------------------------------


def test_support_adds_funds_as_one_audited_ledger_entry(as_support, support, shopper):
    entries = LedgerEntry.objects.count()
    as_support.post(
        f"/staff/users/{shopper.pk}/do/adjust/",
        {"direction": "add", "amount": "12.5", "reason": "refund by bank"},
    )
    assert balance_of(shopper) == to_micros("52.5")
    assert LedgerEntry.objects.count() == entries + 1
    audit = Decision.objects.get(rule_code="balance.adjust")
    assert (audit.actor, audit.user, audit.reason) == (support, shopper, "refund by bank")
    assert not ledger_mismatches()


def test_deducting_funds_writes_a_negative_adjustment(as_support, shopper):
    as_support.post(
        f"/staff/users/{shopper.pk}/do/adjust/",
        {"direction": "deduct", "amount": "10", "reason": "duplicate"},
    )
    entry = LedgerEntry.objects.get(user=shopper, kind=LedgerEntry.Kind.ADJUSTMENT)
    assert entry.amount_micros == -to_micros("10")


@pytest.mark.parametrize(
    "data",
    [
        {"direction": "add", "amount": "5", "reason": ""},
        {"direction": "add", "amount": "0", "reason": "x"},
        {"direction": "add", "amount": "1.0000001", "reason": "x"},
    ],
)
def test_a_bad_adjustment_writes_nothing(as_support, shopper, data):
    before = (LedgerEntry.objects.count(), Decision.objects.count())
    as_support.post(f"/staff/users/{shopper.pk}/do/adjust/", data)
    assert (LedgerEntry.objects.count(), Decision.objects.count()) == before


def test_restricting_from_the_user_page_is_audited(as_support, support, shopper):
    as_support.post(
        f"/staff/users/{shopper.pk}/do/restrict/", {"level": "ordering", "reason": "spam links"}
    )
    assert Restriction.objects.get(user=shopper).created_by == support
    assert Decision.objects.get(rule_code="restriction.ordering").actor == support


def test_lifting_a_restriction_from_the_user_page_is_audited(as_support, support, shopper):
    row = policy.restrict(shopper, "ordering", reason="spam", actor=support)
    as_support.post(f"/staff/users/{shopper.pk}/lift/restriction/{row.pk}/", {"reason": "ok"})
    row.refresh_from_db()
    assert row.lifted_by == support and row.lift_reason == "ok"
    assert Decision.objects.get(rule_code="restriction.lift").actor == support


def test_a_lift_needs_the_rows_own_user(as_support, support, shopper):
    row = policy.restrict(make_user(), "ordering", reason="spam", actor=support)
    response = as_support.post(
        f"/staff/users/{shopper.pk}/lift/restriction/{row.pk}/", {"reason": "ok"}
    )
    assert response.status_code == 404


def test_opening_and_closing_a_balance_review(as_support, support, shopper):
    as_support.post(f"/staff/users/{shopper.pk}/do/review/", {"reason": "chargeback risk"})
    review = BalanceReview.objects.get(user=shopper, closed_at__isnull=True)
    as_support.post(f"/staff/users/{shopper.pk}/lift/review/{review.pk}/", {"reason": "cleared"})
    review.refresh_from_db()
    assert review.closed_by == support
    codes = set(Decision.objects.filter(actor=support).values_list("rule_code", flat=True))
    assert codes == {"balance.review_open", "balance.review_close"}


def test_limiting_and_lifting_the_api(as_support, support, shopper):
    as_support.post(
        f"/staff/users/{shopper.pk}/do/limit-api/", {"per_minute": "10", "reason": "hammering"}
    )
    limit = ApiLimit.objects.get(user=shopper)
    as_support.post(f"/staff/users/{shopper.pk}/lift/api-limit/{limit.pk}/", {"reason": "fixed"})
    limit.refresh_from_db()
    assert limit.per_minute == 10 and limit.lifted_at is not None
    assert (
        Decision.objects.filter(
            rule_code__in=["api.limit", "api.limit_lift"], actor=support
        ).count()
        == 2
    )


def test_revoking_an_exposed_key_tells_the_owner(as_support, support, shopper):
    key = issue_api_key(shopper, "bot").api_key
    as_support.post(
        f"/staff/users/{shopper.pk}/lift/api-key/{key.pk}/", {"reason": "posted on a forum"}
    )
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert Decision.objects.get(rule_code="api.key_revoke").actor == support
    assert mail.outbox and "posted on a forum" in mail.outbox[-1].body


def test_the_owner_sets_and_removes_an_own_price(as_owner, owner, shopper, service):
    as_owner.post(
        f"/staff/users/{shopper.pk}/do/rate/",
        {
            "service": service.pk,
            "kind": "rate",
            "value": "0.45",
            "reason": "reseller",
        },
    )
    rule = CustomRate.objects.get(user=shopper)
    assert (rule.service, rule.rate_micros) == (service, to_micros("0.45"))
    as_owner.post(f"/staff/users/{shopper.pk}/lift/rate/{rule.pk}/", {"reason": "ended"})
    assert not CustomRate.objects.exists()
    assert Decision.objects.filter(actor=owner, rule_code__startswith="price.").count() == 2


def test_a_discount_of_seven_and_a_half_percent(as_owner, shopper):
    as_owner.post(
        f"/staff/users/{shopper.pk}/do/rate/",
        {"kind": "discount", "value": "7,5", "reason": "loyal"},
    )
    assert CustomRate.objects.get(user=shopper, service=None).discount_bp == 750


def test_an_own_rate_for_every_service_is_refused(as_owner, shopper):
    as_owner.post(
        f"/staff/users/{shopper.pk}/do/rate/", {"kind": "rate", "value": "0.5", "reason": "x"}
    )
    assert not CustomRate.objects.exists()


# --- view as -----------------------------------------------------------------------------


def test_view_as_shows_the_customers_balance_orders_and_notices(
    as_support, support, shopper, service
):
    order = make_order(shopper, service)
    policy.restrict(shopper, "api", reason="leaked key in public repo", actor=support)
    html = page(as_support, f"/staff/view-as/{shopper.pk}/")
    assert f"{(balance_of(shopper) / 1_000_000):.2f}" in html
    assert order.link in html
    assert "leaked key in public repo" in html


def test_view_as_keeps_the_staff_member_signed_in_as_themselves(as_support, support, shopper):
    response = as_support.get(f"/staff/view-as/{shopper.pk}/")
    assert response.wsgi_request.user == support
    assert as_support.session["_auth_user_id"] == str(support.pk)


def test_view_as_offers_no_customer_actions(as_support, shopper, service):
    order = make_order(shopper, service)
    html = page(as_support, f"/staff/view-as/{shopper.pk}/")
    assert f"/orders/{order.pk}/cancel" not in html and f"/orders/{order.pk}/refill" not in html
    assert "/do/" not in html and "/lift/" not in html


def test_the_user_page_offers_a_lift_for_everything_in_force(as_owner, owner, shopper, service):
    restriction = policy.restrict(shopper, "ordering", reason="spam", actor=owner)
    review = policy.open_balance_review(shopper, reason="dispute", actor=owner)
    limit = policy.limit_api(shopper, 5, reason="hammering", actor=owner)
    key = issue_api_key(shopper, "bot").api_key
    rule = price_actions.staff_set_custom_rate(
        shopper, service, actor=owner, reason="deal", rate_micros=to_micros("0.5")
    )
    html = page(as_owner, f"/staff/users/{shopper.pk}/")
    for kind, row in [
        ("restriction", restriction),
        ("review", review),
        ("api-limit", limit),
        ("api-key", key),
        ("rate", rule),
    ]:
        assert f"/staff/users/{shopper.pk}/lift/{kind}/{row.pk}/" in html
