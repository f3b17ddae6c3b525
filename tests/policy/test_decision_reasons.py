"""A rule's decision is kept with its rule's code and the values its message was filled
with, so each reader sees it in their own language: a Ukrainian customer's refusal reads
in English for an English-speaking moderator, and in Ukrainian for a Ukrainian one."""

import html
import re

import pytest
from django.utils import translation

from smmpanel.audit.models import Decision
from smmpanel.orders.errors import OrderRefused
from smmpanel.orders.services import place_order
from smmpanel.policy.models import Rule
from smmpanel.policy.selectors import decision_reason
from smmpanel.policy.services import restrict, update_rule
from tests.factories import make_service, make_staff, make_user

pytestmark = pytest.mark.django_db

TIKTOK_VIDEO = "https://www.tiktok.com/@someone/video/7300000000000000001"
CYRILLIC = re.compile("[а-яіїєґА-ЯІЇЄҐ]")


def _refused_in_ukrainian() -> Decision:
    customer = make_user("10")
    with translation.override("uk"), pytest.raises(OrderRefused):
        place_order(customer, make_service(), {"link": TIKTOK_VIDEO, "quantity": 100})
    return Decision.objects.get(user=customer, rule_code="link.service_match")


def test_a_ukrainian_customers_refusal_is_kept_in_english_only():
    decision = _refused_in_ukrainian()

    assert "expected" in decision.reason
    assert not CYRILLIC.search(decision.reason)


def test_a_rules_decision_reads_in_the_readers_language():
    decision = _refused_in_ukrainian()

    english, ukrainian = decision_reason(decision, "en"), decision_reason(decision, "uk")

    assert english.startswith("This link does not fit the service") and not CYRILLIC.search(english)
    assert ukrainian.startswith("Посилання не підходить для цієї послуги")
    assert decision.details["example"] in english and decision.details["example"] in ukrainian


def test_a_staff_actions_reason_reads_as_the_staff_member_wrote_it():
    restrict(make_user(), "ordering", reason="перевірка платежу", actor=make_staff("owner"))
    decision = Decision.objects.get(rule_code="restriction.ordering")

    assert decision_reason(decision, "en") == "перевірка платежу"


def test_the_audit_log_shows_a_rules_decision_in_the_staff_members_language(client):
    decision = _refused_in_ukrainian()
    client.force_login(make_staff("owner"))

    page = client.get("/staff/audit/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    row = re.search(r"<tr>(?:(?!</tr>).)*link\.service_match(?:(?!</tr>).)*</tr>", page, re.S)
    cells = re.findall(r"<td>(.*?)</td>", row.group(0), re.S)
    reason_cell = html.unescape(cells[7])  # time, point, rule, version, outcome, user, by, why
    assert reason_cell == decision_reason(decision, "en")
    assert not CYRILLIC.search(reason_cell)


def test_a_decision_under_an_earlier_wording_reads_as_it_was_told():
    decision = _refused_in_ukrainian()
    update_rule(
        Rule.objects.get(code="link.service_match"),
        actor=make_staff("owner"),
        reason="new wording",
        message_en="Wrong link: {expected}.",
    )

    assert decision_reason(decision, "en") == decision.reason
