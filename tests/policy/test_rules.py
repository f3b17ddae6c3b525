"""One test per built-in rule (issue 4): the violation is caught, the honest case passes,
the hit is recorded with its inputs, and replaying the record gives the same outcome."""

import json
import sys
from datetime import UTC, timedelta

import pytest
from django.contrib.auth import authenticate
from django.test import Client

from smmpanel.billing.models import LedgerEntry
from smmpanel.billing.selectors import balance_of
from smmpanel.catalog.links import canonicalise
from smmpanel.fulfilment.forwarding import due_submissions
from smmpanel.money import to_micros
from smmpanel.orders.errors import OrderRefused
from smmpanel.orders.models import OrderStatus
from smmpanel.orders.services import (
    complete_order,
    place_mass_order,
    place_order,
    request_cancel,
    request_refill,
)
from smmpanel.policy import decision_points, engine, rulebook
from smmpanel.policy.facts import Facts
from smmpanel.policy.models import ApiLimit, DenyEntry, Outcome, RateBucket, Restriction, Rule
from smmpanel.policy.refusal_history import count_invalid_orders
from smmpanel.policy.services import (
    add_deny_entry,
    lift_restriction,
    mark_target,
    open_balance_review,
    record_chargeback,
    restrict,
)
from smmpanel.providers.models import Submission, SubmissionState
from tests.factories import make_order, make_service, make_user, post_link
from tests.policy.conftest import assert_replays, call_api, decisions, key_for, rule_row, tune

pytestmark = pytest.mark.django_db

TIKTOK_VIDEO = "https://www.tiktok.com/@someone/video/7300000000000000001"
PASSWORD = "pw-Test-12345"


def order(user, service, link=None, quantity=100, **params):
    return place_order(user, service, {"link": link or post_link(), "quantity": quantity, **params})


def refused(user, service, link=None, quantity=100, **params) -> OrderRefused:
    with pytest.raises(OrderRefused) as caught:
        order(user, service, link, quantity, **params)
    return caught.value


def only_decision(code, user):
    rows = list(decisions(code, user))
    assert len(rows) == 1, rows
    return rows[0]


def test_every_rule_has_its_test():
    tested = {
        name.removeprefix("test_rule_")
        for name in dir(sys.modules[__name__])
        if name.startswith("test_rule_")
    }
    assert tested == {spec.code.replace(".", "_") for spec in rulebook.RULES}


# -- account.ordering_blocked -----------------------------------------------------------


def test_rule_account_ordering_blocked(customer, service, staff, nothing_written):
    done = complete_order(make_order(customer, service))
    pending = make_order(customer, service)
    restriction = restrict(
        customer, Restriction.Level.ORDERING, reason="suspected resale fraud", actor=staff
    )

    with nothing_written(customer):
        refusal = refused(customer, service)
        with pytest.raises(OrderRefused) as refill:
            request_refill(customer, done.pk)
        with pytest.raises(OrderRefused) as cancel:
            request_cancel(customer, pending.pk)
    for caught in (refusal, refill.value, cancel.value):
        assert caught.rule == "account.ordering_blocked"
        assert "suspected resale fraud" in caught.message
        assert "open a support ticket" in caught.message  # how to appeal
        assert "suspected resale fraud" in caught.text("uk")
        assert "звернення" in caught.text("uk")
    points = set(decisions("account.ordering_blocked", customer).values_list("point", flat=True))
    assert points == {rulebook.ORDER_PLACE, rulebook.ORDER_REFILL, rulebook.ORDER_CANCEL}
    for decision in decisions("account.ordering_blocked", customer):
        assert decision.inputs == {"restriction_ordering": "suspected resale fraud"}
        assert_replays(decision)

    # Honest: another customer orders; once lifted, this one does too.
    assert order(make_user("10"), service).status == OrderStatus.PENDING
    lift_restriction(restriction, actor=staff, reason="cleared")
    assert order(customer, service).status == OrderStatus.PENDING


# -- account.login_blocked --------------------------------------------------------------


def test_rule_account_login_blocked(staff):
    blocked, honest = make_user(), make_user()
    restrict(blocked, Restriction.Level.LOGIN, reason="account takeover suspected", actor=staff)

    assert authenticate(email=blocked.email, password=PASSWORD) is None
    assert Client().login(email=blocked.email, password=PASSWORD) is False
    web = Client()
    page = web.post("/login/", {"login": blocked.email, "password": PASSWORD})
    assert page.status_code == 200  # the form again, not a redirect into the panel
    assert "account takeover suspected" in page.content.decode()  # told why
    assert "_auth_user_id" not in web.session

    decision = decisions("account.login_blocked", blocked).first()
    assert decision.outcome == Outcome.REJECT
    assert decision.inputs == {"restriction_login": "account takeover suspected"}
    assert "account takeover suspected" in decision.reason
    assert_replays(decision)

    # Honest: a user without the restriction signs in, through the form too.
    assert authenticate(email=honest.email, password=PASSWORD) == honest
    assert Client().login(email=honest.email, password=PASSWORD) is True
    web = Client()
    page = web.post("/login/", {"login": honest.email, "password": PASSWORD})
    assert page.status_code == 302
    assert web.session["_auth_user_id"] == str(honest.pk)
    assert not decisions("account.login_blocked", honest).exists()
    # Restricting ordering does not block sign-in.
    restrict(honest, Restriction.Level.ORDERING, reason="other level", actor=staff)
    assert authenticate(email=honest.email, password=PASSWORD) == honest


# -- balance.review ---------------------------------------------------------------------


def test_rule_balance_review(customer, service, staff, nothing_written):
    open_balance_review(customer, reason="payment under investigation", actor=staff)

    with nothing_written(customer):
        refusal = refused(customer, service)
    assert refusal.rule == "balance.review"
    assert "under review" in refusal.message
    decision = only_decision("balance.review", customer)
    assert decision.inputs == {"balance_frozen": True}
    assert_replays(decision)

    # Honest: a customer whose balance is not under review spends it.
    other = make_user("10")
    assert order(other, service).status == OrderStatus.PENDING
    assert not decisions("balance.review", other).exists()


# -- link.service_match -----------------------------------------------------------------


def test_rule_link_service_match(customer, service, nothing_written):
    with nothing_written(customer):
        wrong_platform = refused(customer, service, TIKTOK_VIDEO)
        profile_for_post = refused(customer, service, "https://www.instagram.com/some.one/")
    for refusal in (wrong_platform, profile_for_post):
        assert refusal.rule == "link.service_match"
        assert "expected Instagram post or reel link" in refusal.message
        assert "https://www.instagram.com/p/C0dExAmPlE/" in refusal.message
        assert "очікується" in refusal.text("uk")
    for decision in decisions("link.service_match", customer):
        assert decision.inputs["link_fits"] is False
        assert decision.inputs["link_expected"] == "Instagram post or reel link"
        assert_replays(decision)

    # The same check the other way round: a post link on a TikTok video service.
    tiktok = make_service(platform="TikTok", name="TikTok Views", link_format="tiktok_video")
    assert refused(customer, tiktok, post_link()).rule == "link.service_match"
    assert "TikTok video link" in refused(customer, tiktok, post_link()).message

    # Honest: links of the right platform and kind are accepted.
    assert order(customer, service).status == OrderStatus.PENDING
    assert order(customer, tiktok, TIKTOK_VIDEO).status == OrderStatus.PENDING
    profiles = make_service(name="Instagram Followers", link_format="instagram_profile")
    assert order(customer, profiles, "https://www.instagram.com/some.one/").status == "pending"
    assert decisions("link.service_match", customer).count() == 4


# -- link.private -----------------------------------------------------------------------


def deleted_checker(link, service):
    """An operator hook (e.g. a provider's check): links with ``Gone`` are deleted."""
    return "deleted" if "/p/Gone" in link.url else None


def broken_checker(link, service):
    raise RuntimeError("provider check is down")


def test_rule_link_private(customer, service, settings, nothing_written):
    private = canonicalise(post_link())
    mark_target(private, "private", source="provider said so")

    with nothing_written(customer):
        refusal = refused(customer, service, private.url.replace("https://", "http://www."))
    assert refusal.rule == "link.private"
    assert "known to be private" in refusal.message
    decision = only_decision("link.private", customer)
    assert decision.inputs == {"target_state": "private"}
    assert_replays(decision)

    # A pluggable checker named in settings; a failing one is skipped, never blocking.
    settings.POLICY_LINK_CHECKERS = [
        f"{__name__}.broken_checker",
        f"{__name__}.deleted_checker",
    ]
    from smmpanel.policy.link_checkers import _checkers

    _checkers.cache_clear()
    refusal = refused(customer, service, "https://instagram.com/p/GoneForGood/")
    assert refusal.rule == "link.private"
    assert "known to be deleted" in refusal.message

    # Honest: public (or unknown) targets go through with the checkers in place.
    placed = order(customer, service)
    assert placed.status == OrderStatus.PENDING

    # The same rule guards refills: a target deleted since is not refilled.
    complete_order(placed)
    mark_target(canonicalise(placed.link), "deleted", source="support")
    with pytest.raises(OrderRefused) as caught:
        request_refill(customer, placed.pk)
    assert caught.value.rule == "link.private"
    refill_decision = decisions("link.private", customer).filter(point="order.refill").get()
    assert refill_decision.order == placed
    assert_replays(refill_decision)


# -- target.blocked ---------------------------------------------------------------------


def test_rule_target_blocked(customer, staff, service, nothing_written):
    web = make_service(platform="Web", name="Website Traffic", link_format="website")
    add_deny_entry(DenyEntry.Kind.DOMAIN, "malware.example", actor=staff, reason="malware")
    add_deny_entry(
        DenyEntry.Kind.URL, "https://phish.example.org/login", actor=staff, reason="phishing"
    )
    add_deny_entry(DenyEntry.Kind.KEYWORD, "free-robux", actor=staff, reason="scam bait")

    cases = {
        "https://cdn.Malware.example/download": "blocked domain malware.example",
        "https://phish.example.org/login/step2": "blocked address",
        "https://www.phish.example.org/login": "blocked address",
        "https://example.net/get/FREE-ROBUX-now": "blocked keyword free-robux",
        "https://bit.ly/3xYzAbc": "link shortener bit.ly",
        "https://tinyurl.com/abcd1234": "link shortener tinyurl.com",
    }
    with nothing_written(customer):
        for link, what in cases.items():
            refusal = refused(customer, web, link)
            assert refusal.rule == "target.blocked", link
            assert f"({what})" in refusal.message, link
    for decision in decisions("target.blocked", customer):
        assert_replays(decision)

    # A shortener in place of an Instagram link: both rules hit; both are recorded.
    refused(customer, service, "https://bit.ly/3xYzAbc")
    latest = decisions("target.blocked", customer).first()
    assert latest.inputs == {"link_host": "bit.ly"}

    # Honest: ordinary sites, including look-alikes of blocked names, are accepted.
    for link in (
        "https://example.com/page",
        "https://notmalware.example/",
        "https://example.org/login",
        "https://phish.example.org/about",
    ):
        assert order(customer, web, link).status == OrderStatus.PENDING, link


def test_blocked_url_entries_match_whatever_spelling_staff_used(customer, staff):
    """Deny entries are compared with canonical links: an entry typed with ``www.`` or
    without a scheme still blocks the link it names."""
    web = make_service(platform="Web", name="Website Traffic", link_format="website")
    add_deny_entry(DenyEntry.Kind.URL, "https://www.evil.example/phish", actor=staff, reason="x")
    add_deny_entry(DenyEntry.Kind.URL, "bad.example/path", actor=staff, reason="x")
    add_deny_entry(DenyEntry.Kind.DOMAIN, "www.worse.example", actor=staff, reason="x")
    for link in (
        "https://www.evil.example/phish",
        "https://evil.example/phish/deeper",
        "https://bad.example/path",
        "https://worse.example/any",
    ):
        assert refused(customer, web, link).rule == "target.blocked", link


# -- content.sensitive ------------------------------------------------------------------


def test_rule_content_sensitive(customer, staff):
    comments = make_service(
        name="Instagram Custom Comments", type="custom comments", min_quantity=1, max_quantity=100
    )
    add_deny_entry(DenyEntry.Kind.TERM, "ScamCoin", actor=staff, reason="crypto scam")
    add_deny_entry(DenyEntry.Kind.TERM, "Шахрайство", actor=staff, reason="fraud")
    before = balance_of(customer)

    held = place_order(
        customer, comments, {"link": post_link(), "comments": "nice!\nbuy SCAMCOIN today"}
    )
    held.refresh_from_db()
    assert held.status == OrderStatus.REVIEW
    charge = LedgerEntry.objects.get(order=held, kind=LedgerEntry.Kind.CHARGE)
    assert charge.amount_micros == -held.charge_micros < 0
    assert balance_of(customer) == before - held.charge_micros
    submission = Submission.objects.get(order=held)
    assert submission.state == SubmissionState.QUEUED
    assert submission.pk not in due_submissions()
    decision = decisions("content.sensitive", customer).get()
    assert decision.order == held
    assert decision.outcome == Outcome.REVIEW and decision.enforced
    assert decision.inputs == {"sensitive_terms": ["scamcoin"]}
    assert "scamcoin" in decision.reason
    assert_replays(decision)

    cyrillic = place_order(customer, comments, {"link": post_link(), "comments": "ШАХРАЙСТВО"})
    assert cyrillic.status == OrderStatus.REVIEW

    # Honest: clean comments are placed Pending and due for forwarding.
    clean = place_order(customer, comments, {"link": post_link(), "comments": "love it\nwow"})
    assert clean.status == OrderStatus.PENDING
    assert Submission.objects.get(order=clean).pk in due_submissions()
    assert not decisions("content.sensitive").filter(order=clean).exists()


# -- abuse.invalid_orders ---------------------------------------------------------------


def over_api(user, api_key, service, quantity=100) -> object:
    """An order through the API's own path (``place_order`` with the caller's key)."""
    data = {"link": post_link(), "quantity": quantity}
    return place_order(user, service, data, source="api", api_key=api_key)


def refused_over_api(user, api_key, service, quantity=100) -> OrderRefused:
    with pytest.raises(OrderRefused) as caught:
        over_api(user, api_key, service, quantity)
    return caught.value


def invalid_over_api(user, api_key, service) -> None:
    assert (
        "Quantity less than minimal" in refused_over_api(user, api_key, service, quantity=1).message
    )


ESCALATING_AT_2_3_4 = {"window_minutes": 10, "reject_at": 2, "limit_at": 3, "restrict_at": 4}


def test_rule_abuse_invalid_orders(service, staff):
    tune("abuse.invalid_orders", staff, thresholds=ESCALATING_AT_2_3_4)
    abuser, honest = make_user("100"), make_user("100")
    abuser_key, key = key_for(abuser)
    honest_key, _ = key_for(honest)

    # Honest: one mistake is below every threshold.
    invalid_over_api(honest, honest_key, service)
    assert over_api(honest, honest_key, service).status == OrderStatus.PENDING

    invalid_over_api(abuser, abuser_key, service)
    invalid_over_api(abuser, abuser_key, service)
    assert json.loads(call_api(key, "balance").content)["balance"] == "100.00"

    first = refused_over_api(abuser, abuser_key, service)  # 2 invalid orders: paused
    assert first.rule == "abuse.invalid_orders"
    assert "2 refused orders were counted in the last 10 minutes" in first.message
    assert not ApiLimit.objects.filter(user=abuser).exists()

    invalid_over_api(abuser, abuser_key, service)
    second = refused_over_api(abuser, abuser_key, service)  # 3 counted: API limited
    assert second.rule == "abuse.invalid_orders"
    limit = ApiLimit.objects.get(user=abuser)
    assert limit.per_minute == 0 and limit.api_key is None and limit.expires_at is not None
    answer = json.loads(call_api(key, "balance").content)
    assert set(answer) == {"error"}
    assert answer["error"].endswith("(rule api.blocked)")
    assert not Restriction.objects.filter(user=abuser).exists()

    invalid_over_api(abuser, abuser_key, service)
    third = refused_over_api(abuser, abuser_key, service)  # 4 counted: restricted for staff
    assert third.rule == "abuse.invalid_orders"
    restriction = Restriction.objects.get(user=abuser)
    assert restriction.level == Restriction.Level.ORDERING
    assert restriction.rule_code == "abuse.invalid_orders"

    outcomes = list(
        decisions("abuse.invalid_orders", abuser).order_by("id").values_list("outcome", flat=True)
    )
    assert outcomes == [Outcome.REJECT, Outcome.LIMIT, Outcome.RESTRICT]
    for decision in decisions("abuse.invalid_orders", abuser):
        assert_replays(decision)
    assert refused(abuser, service).rule in ("abuse.invalid_orders", "account.ordering_blocked")
    assert Restriction.objects.filter(user=abuser).count() == 1  # not restricted twice

    # The honest customer was never touched.
    assert over_api(honest, honest_key, service).status == OrderStatus.PENDING
    assert not decisions("abuse.invalid_orders", honest).exists()


def paused_over_api(service, staff):
    """A customer with two invalid orders over the API, the rule pausing at two: the
    customer and their key."""
    tune("abuse.invalid_orders", staff, thresholds=ESCALATING_AT_2_3_4)
    customer = make_user("100")
    api_key, _ = key_for(customer)
    invalid_over_api(customer, api_key, service)
    invalid_over_api(customer, api_key, service)
    return customer, api_key


def test_retrying_while_paused_never_extends_the_pause(service, staff):
    customer, api_key = paused_over_api(service, staff)

    retries = [refused_over_api(customer, api_key, service) for _ in range(6)]

    assert {r.rule for r in retries} == {"abuse.invalid_orders"}
    assert all("2 refused orders were counted" in r.message for r in retries)
    assert not ApiLimit.objects.filter(user=customer).exists()  # 6 retries escalated nothing


def test_web_form_refusals_count_a_quarter_of_api_ones(service, staff):
    tune("abuse.invalid_orders", staff, thresholds=ESCALATING_AT_2_3_4)
    customer = make_user("100")
    for _ in range(7):  # corrections on the web form: 7 quarters, 1 counted
        with pytest.raises(OrderRefused, match="Quantity less than minimal"):
            order(customer, service, quantity=1)
    assert order(customer, service).status == OrderStatus.PENDING

    with pytest.raises(OrderRefused, match="Quantity less than minimal"):
        order(customer, service, quantity=1)  # the 8th quarter: 2 counted

    assert refused(customer, service).rule == "abuse.invalid_orders"


def test_the_pause_is_told_above_the_form_with_when_it_ends(service, staff):
    customer, api_key = paused_over_api(service, staff)
    oldest = decisions(decision_points.VALIDATION_RULE, customer).order_by("created_at").first()

    refusal = refused_over_api(customer, api_key, service)

    ends = (oldest.created_at + timedelta(minutes=10)).astimezone(UTC)
    assert refusal.field is None  # about the account, not the link typed
    assert f"paused until {ends:%Y-%m-%d %H:%M} UTC" in refusal.message
    assert "To appeal, open a support ticket." in refusal.message
    assert "Щоб оскаржити" in refusal.text("uk")


def test_a_mass_order_counts_once_however_many_lines_it_refuses(service, staff):
    tune("abuse.invalid_orders", staff, thresholds=ESCALATING_AT_2_3_4)
    customer = make_user("100")
    lines = [f"{service.pk} | {post_link()} | 1"] * 20 + ["not an order line"] * 20
    lines += [f"999999 | {post_link()} | 100"] * 5

    results = place_mass_order(customer, "\n".join(lines))

    assert all(line.refusal is not None for line in results)
    [counted] = decisions(decision_points.VALIDATION_RULE, customer)
    assert len(counted.inputs["refused"]) == 45  # every refused line listed, counted once
    assert count_invalid_orders(customer, 10) == 0  # one web refusal: a quarter


def test_refusals_for_the_accounts_state_are_not_invalid_orders(service, staff):
    """A reseller's bot that keeps ordering while a balance review is open (or while
    ordering is restricted) is refused each time, but its retries are not "invalid
    orders": they must not escalate to an API limitation and a restriction."""
    tune(
        "abuse.invalid_orders",
        staff,
        thresholds={"window_minutes": 10, "reject_at": 2, "limit_at": 3, "restrict_at": 4},
    )
    frozen, restricted = make_user("100"), make_user("100")
    open_balance_review(frozen, reason="payment check", actor=staff)
    restrict(restricted, Restriction.Level.ORDERING, reason="manual check", actor=staff)
    for _ in range(6):
        assert refused(frozen, service).rule == "balance.review"
        assert refused(restricted, service).rule == "account.ordering_blocked"
    assert not ApiLimit.objects.exists()
    assert Restriction.objects.filter(user=frozen).count() == 0
    assert Restriction.objects.filter(user=restricted).count() == 1
    assert not decisions("abuse.invalid_orders").exists()


# -- abuse.fake_disputes ----------------------------------------------------------------


def test_rule_abuse_fake_disputes(service, staff):
    tune(
        "abuse.fake_disputes",
        staff,
        thresholds={"window_minutes": 60, "reject_at": 2, "limit_at": 3, "restrict_at": 4},
    )
    abuser, honest = make_user("100"), make_user("100")
    running = make_order(abuser, service)  # not finished: no refill yet
    done = complete_order(make_order(abuser, service))

    def ineligible():
        with pytest.raises(OrderRefused, match="only for completed orders"):
            request_refill(abuser, running.pk)

    # Honest: a refill of a completed order of a refill service is accepted.
    honest_done = complete_order(make_order(honest, service))
    assert request_refill(honest, honest_done.pk).pk

    ineligible()
    ineligible()
    outcomes = []
    for _ in range(3):
        with pytest.raises(OrderRefused) as caught:
            request_refill(abuser, done.pk)
        assert caught.value.rule == "abuse.fake_disputes"
        assert "refill requests for ineligible orders" in caught.value.message
        outcomes.append(decisions("abuse.fake_disputes", abuser).first().outcome)
    assert outcomes == [Outcome.REJECT, Outcome.LIMIT, Outcome.RESTRICT]
    assert ApiLimit.objects.get(user=abuser).per_minute == 0
    restriction = Restriction.objects.get(user=abuser)
    assert restriction.rule_code == "abuse.fake_disputes"
    assert restriction.level == Restriction.Level.ORDERING
    for decision in decisions("abuse.fake_disputes", abuser):
        assert decision.order == done
        assert_replays(decision)

    assert not decisions("abuse.fake_disputes", honest).exists()
    assert not Restriction.objects.filter(user=honest).exists()


# -- order.large ------------------------------------------------------------------------


def test_rule_order_large(staff):
    customer = make_user("2000")
    premium = make_service(name="Premium Likes", rate_micros=to_micros("60"))

    # Shadow by default: recorded, not enforced; the order goes through.
    big = order(customer, premium, quantity=10000)  # 600.00 ≥ 500.00
    assert big.status == OrderStatus.PENDING
    shadow = decisions("order.large", customer).get()
    assert shadow.order == big
    assert shadow.enforced is False and shadow.outcome == Outcome.REVIEW
    assert shadow.inputs["charge_micros"] == to_micros("600")
    assert "600.00" in shadow.reason
    assert_replays(shadow)

    # Switched on: large orders are held for review.
    tune("order.large", staff, shadow=False)
    held = order(customer, premium, quantity=10000)
    assert held.status == OrderStatus.REVIEW
    enforced = decisions("order.large", customer).get(order=held)
    assert enforced.enforced is True and enforced.rule_version == 2
    assert_replays(enforced)

    # Honest: an ordinary order is neither held nor recorded.
    small = order(customer, premium, quantity=1000)  # 60.00
    assert small.status == OrderStatus.PENDING
    assert not decisions("order.large").filter(order=small).exists()


# -- api.blocked ------------------------------------------------------------------------


def test_rule_api_blocked(customer, staff):
    _, key = key_for(customer)
    leaked_key, leaked = key_for(customer, "leaked")

    restrict(
        customer,
        Restriction.Level.API,
        reason="key posted publicly",
        actor=staff,
        api_key=leaked_key,
    )
    answer = json.loads(call_api(leaked, "balance").content)
    assert answer == {
        "error": "API access is blocked: key posted publicly. To appeal, open a support "
        "ticket. (rule api.blocked)"
    }
    # Honest: the owner's other key still works.
    assert json.loads(call_api(key, "balance").content) == {
        "balance": "100.00",
        "currency": customer.wallet.currency,
    }

    restrict(customer, Restriction.Level.API, reason="API abuse", actor=staff)  # whole account
    assert "API abuse" in json.loads(call_api(key, "balance").content)["error"]
    for decision in decisions("api.blocked", customer):
        assert decision.outcome == Outcome.LIMIT
        assert_replays(decision)
    assert decisions("api.blocked", customer).count() == 2

    # Another account is not affected.
    _, other_key = key_for(make_user("5"))
    assert "balance" in json.loads(call_api(other_key, "balance").content)


# -- api.rate ---------------------------------------------------------------------------


def test_rule_api_rate(customer, staff):
    tune(
        "api.rate",
        staff,
        thresholds={"key_per_minute": 60, "account_per_minute": 600, "burst": 2},
    )
    api_key, key = key_for(customer)
    assert "balance" in json.loads(call_api(key, "balance").content)
    assert "balance" in json.loads(call_api(key, "balance").content)
    over = call_api(key, "balance")
    assert json.loads(over.content) == {"error": "Too many requests, retry in 1 s (rule api.rate)"}
    assert over["Retry-After"] == "1"
    assert over["RateLimit-Policy"] == '"api";q=60;w=60'
    assert over["RateLimit"] == '"api";r=0;t=1'
    assert RateBucket.objects.filter(key=f"key:{api_key.pk}").exists()
    decision = decisions("api.rate", customer).get()
    assert decision.api_key == api_key and decision.outcome == Outcome.LIMIT
    assert decision.inputs == {"rate_retry_after": 1}
    assert_replays(decision)

    # Honest: another account's key has its own bucket.
    _, other = key_for(make_user("5"))
    assert "balance" in json.loads(call_api(other, "balance").content)


# -- api.key_ip_spread ------------------------------------------------------------------


def test_rule_api_key_ip_spread(customer, staff):
    tune("api.key_ip_spread", staff, thresholds={"max_ips_per_hour": 3})
    spread_key, spread = key_for(customer, "spread")
    _, steady = key_for(customer, "steady")

    # Honest: one server calling many times, or moving once, is fine.
    for ip in ["198.51.100.7"] * 5 + ["198.51.100.8"] * 3:
        assert "balance" in json.loads(call_api(steady, "balance", ip=ip).content)
    assert not decisions("api.key_ip_spread").exists()

    for ip in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        answer = json.loads(call_api(spread, "balance", ip=ip).content)
        assert "balance" in answer  # review: served, flagged for staff
    decision = decisions("api.key_ip_spread", customer).get()
    assert decision.api_key == spread_key
    assert decision.outcome == Outcome.REVIEW
    assert decision.inputs == {"key_ips_last_hour": 3}
    assert "3 addresses" in decision.reason
    assert_replays(decision)


# -- ticket.duplicate / ticket.flood ----------------------------------------------------


def test_rule_ticket_duplicate(customer):
    verdict = engine.evaluate(rulebook.TICKET_CREATE, Facts({"open_ticket_same_subject": 42}))
    assert verdict.outcome == Outcome.REJECT
    assert verdict.deciding.code == "ticket.duplicate"
    assert "(#42)" in verdict.message() and "(#42)" in verdict.message("uk")
    engine.record(verdict, user=customer)
    assert_replays(decisions("ticket.duplicate", customer).get())

    honest = engine.evaluate(rulebook.TICKET_CREATE, Facts({"open_ticket_same_subject": None}))
    assert honest.outcome == Outcome.ALLOW and not honest.hits
    row = Rule.objects.get(code="ticket.duplicate")
    assert (row.enabled, row.shadow, row.outcome, row.version) == (True, False, "reject", 1)


def test_duplicate_ticket_through_the_support_desk(customer, service):
    from smmpanel.support.errors import TicketRefused
    from smmpanel.support.services import open_ticket

    first, second = make_order(customer, service), make_order(customer, service)
    ticket = open_ticket(customer, "order", "Not started", "Still pending", [first.pk])
    with pytest.raises(TicketRefused) as caught:
        open_ticket(customer, "order", "Hello??", "Any news?", [first.pk])
    assert caught.value.rule == "ticket.duplicate"
    assert caught.value.existing_ticket_id == ticket.pk
    assert f"#{ticket.pk}" in caught.value.message
    assert_replays(decisions("ticket.duplicate", customer).get())
    # Honest: a ticket about another order is opened.
    assert open_ticket(customer, "order", "Other one", "Please check", [second.pk]).pk


def test_rule_ticket_flood(customer):
    asked = []

    def tickets_recent(minutes):
        asked.append(minutes)
        return counts.pop(0)

    counts = [5, 4]
    flood = engine.evaluate(rulebook.TICKET_CREATE, Facts({}, {"tickets_recent": tickets_recent}))
    assert flood.outcome == Outcome.REJECT and flood.deciding.code == "ticket.flood"
    assert "60 minutes" in flood.message()
    assert flood.deciding.inputs == {'tickets_recent{"minutes": 60}': 5}
    engine.record(flood, user=customer)
    assert_replays(decisions("ticket.flood", customer).get())

    honest = engine.evaluate(rulebook.TICKET_CREATE, Facts({}, {"tickets_recent": tickets_recent}))
    assert honest.outcome == Outcome.ALLOW
    assert asked == [60, 60]
    row = Rule.objects.get(code="ticket.flood")
    assert row.thresholds == {"window_minutes": 60, "max": 5}


def test_ticket_flood_through_the_support_desk(customer, staff):
    from smmpanel.support.errors import TicketRefused
    from smmpanel.support.services import open_ticket

    tune("ticket.flood", staff, thresholds={"window_minutes": 60, "max": 3})
    for n in range(3):
        open_ticket(customer, "other", f"Question {n}", "Hello")
    with pytest.raises(TicketRefused) as caught:
        open_ticket(customer, "other", "Question 4", "Hello")
    assert caught.value.rule == "ticket.flood"
    decision = decisions("ticket.flood", customer).get()
    assert decision.inputs == {'tickets_recent{"minutes": 60}': 3}
    assert_replays(decision)
    # Honest: another customer is not limited by this one's tickets.
    assert open_ticket(make_user(), "other", "First question", "Hello").pk


# -- chargeback.recorded ----------------------------------------------------------------


def test_rule_chargeback_recorded(customer, service, staff):
    record_chargeback(customer, to_micros("30"), memo="bank dispute #77", actor=staff)

    entry = LedgerEntry.objects.get(user=customer, kind=LedgerEntry.Kind.CHARGEBACK)
    assert entry.amount_micros == -to_micros("30")
    assert balance_of(customer) == to_micros("70")
    restriction = Restriction.objects.get(user=customer)
    assert restriction.level == Restriction.Level.ORDERING
    assert restriction.rule_code == "chargeback.recorded"
    assert customer.balance_reviews.filter(closed_at__isnull=True).count() == 1
    customer.wallet.refresh_from_db()
    assert customer.wallet.frozen
    decision = decisions("chargeback.recorded", customer).get()
    assert decision.outcome == Outcome.RESTRICT
    assert decision.inputs == {"amount_text": "30.00"}
    assert "30.00" in decision.reason
    assert_replays(decision)
    assert refused(customer, service).rule == "account.ordering_blocked"

    # Honest: a customer without a chargeback keeps ordering; with the rule switched
    # off, a chargeback is still booked but restricts nothing.
    other = make_user("100")
    assert order(other, service).status == OrderStatus.PENDING
    tune("chargeback.recorded", staff, enabled=False)
    record_chargeback(other, to_micros("1"), memo="small dispute", actor=staff)
    assert LedgerEntry.objects.filter(user=other, kind="chargeback").count() == 1
    assert not Restriction.objects.filter(user=other).exists()
    assert rule_row("chargeback.recorded").version == 2
