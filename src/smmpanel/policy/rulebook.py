"""The built-in rule set, from the operator's Acceptable Use Policy.

Each rule is a pure condition over ``Facts`` plus defaults (outcome, thresholds,
messages in en and uk) that seed its ``Rule`` row; staff then switch, tune and reword
rules in the database without a deploy. A condition returns None (no hit) or a
``Hit`` with the values its message needs and, for escalating rules, the outcome.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from smmpanel.policy.facts import FactsReading
from smmpanel.policy.models import Outcome

# Decision points: where the engine is consulted.
ORDER_PLACE = "order.place"
ORDER_REFILL = "order.refill"
ORDER_CANCEL = "order.cancel"
TICKET_CREATE = "ticket.create"
API_REQUEST = "api.request"
LOGIN = "login"
CHARGEBACK = "balance.chargeback"

APPEAL_EN = " To appeal, open a support ticket."
APPEAL_UK = " Щоб оскаржити, відкрийте звернення в підтримку."


@dataclass(frozen=True)
class Hit:
    details: dict[str, Any] = field(default_factory=dict)
    outcome: str | None = None  # escalating rules choose; otherwise the rule's outcome


Check = Callable[[FactsReading, dict[str, Any]], Hit | None]


@dataclass(frozen=True)
class RuleSpec:
    code: str
    points: tuple[str, ...]
    outcome: str
    check: Check
    message_en: str
    message_uk: str
    title: str
    thresholds: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    shadow: bool = False
    # The order form field a refusal of this rule is shown beside; None for rules about
    # the account rather than what was typed: shown above the form.
    field: str | None = "link"


def _restricted(level: str) -> Check:
    def check(facts: FactsReading, t: dict) -> Hit | None:
        reason = facts.get(f"restriction_{level}")
        return Hit({"reason": reason}) if reason else None

    return check


def _link_fits(facts: FactsReading, t: dict) -> Hit | None:
    if facts.get("link_fits") is False:
        return Hit(
            {
                "expected": facts.get("link_expected"),
                "expected_uk": facts.get("link_expected_uk"),
                "example": facts.get("link_example"),
            }
        )
    return None


def _known_not_public(facts: FactsReading, t: dict) -> Hit | None:
    state = facts.get("target_state")
    return Hit({"state": state}) if state in ("private", "restricted", "deleted") else None


def _blocked_target(facts: FactsReading, t: dict) -> Hit | None:
    host = facts.get("link_host") or ""
    if host in set(t.get("shorteners", [])):
        return Hit({"what": f"link shortener {host}"})
    blocked = facts.get("deny_match")
    return Hit({"what": blocked}) if blocked else None


def _sensitive_text(facts: FactsReading, t: dict) -> Hit | None:
    terms = facts.get("sensitive_terms") or []
    return Hit({"terms": ", ".join(terms)}) if terms else None


def window_minutes(thresholds: dict) -> int:
    """The minutes an escalating rule counts over."""
    return int(thresholds.get("window_minutes", 10))


def _escalating(fact: str) -> Check:
    def check(facts: FactsReading, t: dict) -> Hit | None:
        minutes = window_minutes(t)
        count = facts.get(fact, minutes=minutes) or 0
        for outcome, key in (
            (Outcome.RESTRICT, "restrict_at"),
            (Outcome.LIMIT, "limit_at"),
            (Outcome.REJECT, "reject_at"),
        ):
            if key in t and count >= int(t[key]):
                return Hit({"count": count, "minutes": minutes}, outcome=outcome)
        return None

    return check


_too_many_invalid_orders = _escalating("invalid_orders")


def _invalid_orders(facts: FactsReading, t: dict) -> Hit | None:
    hit = _too_many_invalid_orders(facts, t)
    if hit is None:
        return None
    below = int(t.get("reject_at", 1))
    until = facts.get("invalid_orders_until", minutes=window_minutes(t), below=below)
    return Hit({**hit.details, "until": until}, outcome=hit.outcome)


def _large_order(facts: FactsReading, t: dict) -> Hit | None:
    charge = facts.get("charge_micros") or 0
    if charge >= int(t.get("review_at_micros", 500_000_000)):
        return Hit({"amount": facts.get("charge_text")})
    return None


def _frozen(facts: FactsReading, t: dict) -> Hit | None:
    return Hit() if facts.get("balance_frozen") else None


def _api_blocked(facts: FactsReading, t: dict) -> Hit | None:
    reason = facts.get("api_blocked")
    return Hit({"reason": reason}) if reason else None


def _api_rate(facts: FactsReading, t: dict) -> Hit | None:
    wait = facts.get("rate_retry_after")
    return Hit({"seconds": wait}) if wait else None


def _ip_spread(facts: FactsReading, t: dict) -> Hit | None:
    ips = facts.get("key_ips_last_hour") or 0
    return Hit({"ips": ips}) if ips >= int(t.get("max_ips_per_hour", 20)) else None


def _duplicate_ticket(facts: FactsReading, t: dict) -> Hit | None:
    ticket = facts.get("open_ticket_same_subject")
    return Hit({"ticket": ticket}) if ticket else None


def _ticket_flood(facts: FactsReading, t: dict) -> Hit | None:
    minutes = int(t.get("window_minutes", 60))
    count = facts.get("tickets_recent", minutes=minutes) or 0
    return Hit({"count": count, "minutes": minutes}) if count >= int(t.get("max", 5)) else None


def _chargeback(facts: FactsReading, t: dict) -> Hit | None:
    return Hit({"amount": facts.get("amount_text")})


SHORTENERS = [
    "bit.ly",
    "tinyurl.com",
    "goo.gl",
    "t.co",
    "ow.ly",
    "is.gd",
    "buff.ly",
    "cutt.ly",
    "shorturl.at",
    "rebrand.ly",
    "tiny.cc",
    "rb.gy",
    "bl.ink",
    "s.id",
    "v.gd",
    "t.ly",
    "shorte.st",
    "adf.ly",
    "lnkd.in",
    "clck.ru",
]

# The invalid-orders refusal names the rule, what counts and until when, and how to
# appeal. Refusals count a quarter on the web form and one over the API
# (``refusal_history``); its own refusals never count, so a retry does not extend it.
INVALID_ORDERS_EN = (
    "New orders are paused until {until}: {count} refused orders were counted in the last "
    "{minutes} minutes (rule abuse.invalid_orders; a refusal on the web form counts as a "
    "quarter, one over the API as one). Check the service description and the link format "
    "meanwhile." + APPEAL_EN
)
INVALID_ORDERS_UK = (
    "Нові замовлення призупинено до {until}: за останні {minutes} хвилин враховано "
    "{count} відхилених замовлень (правило abuse.invalid_orders; відхилення у вебформі "
    "рахується як чверть, через API — як одне). Тим часом перевірте опис послуги й формат "
    "посилання." + APPEAL_UK
)

RULES: tuple[RuleSpec, ...] = (
    RuleSpec(
        "account.ordering_blocked", (ORDER_PLACE, ORDER_REFILL, ORDER_CANCEL), Outcome.REJECT,
        _restricted("ordering"),
        "Ordering is blocked on this account: {reason}." + APPEAL_EN,
        "Замовлення для цього акаунта заблоковані: {reason}." + APPEAL_UK,
        _("Account restriction: ordering blocked"),
        field=None,
    ),
    RuleSpec(
        "account.login_blocked", (LOGIN,), Outcome.REJECT, _restricted("login"),
        "Sign-in is blocked for this account: {reason}." + APPEAL_EN,
        "Вхід для цього акаунта заблоковано: {reason}." + APPEAL_UK,
        _("Account restriction: login blocked"),
    ),
    RuleSpec(
        "balance.review", (ORDER_PLACE,), Outcome.REJECT, _frozen,
        "Your balance is under review, so it cannot be spent until the review ends."
        + APPEAL_EN,
        "Ваш баланс на перевірці, тож його не можна витрачати до її завершення." + APPEAL_UK,
        _("Balance review: spending frozen"),
        field=None,
    ),
    RuleSpec(
        "link.service_match", (ORDER_PLACE,), Outcome.REJECT, _link_fits,
        "This link does not fit the service: expected {expected}, for example {example}. "
        "Choose the service that matches the platform and link type.",
        "Посилання не підходить для цієї послуги: очікується {expected_uk}, наприклад {example}. "
        "Оберіть послугу, що відповідає платформі й типу посилання.",
        _("Correct service match: platform and link type fit the service"),
    ),
    RuleSpec(
        "link.private", (ORDER_PLACE, ORDER_REFILL), Outcome.REJECT, _known_not_public,
        "This target is known to be {state}. Only public links can be served; make it public "
        "or use another link.",
        "Відомо, що ця ціль {state}. Обслуговуються лише публічні посилання; зробіть її "
        "публічною або використайте інше посилання.",
        _("Public links only: private, restricted or deleted targets"),
    ),
    RuleSpec(
        "target.blocked", (ORDER_PLACE,), Outcome.REJECT, _blocked_target,
        "This link is not accepted ({what}). Links tied to malware, phishing or hidden "
        "targets are refused; send the full public link of the page itself.",
        "Це посилання не приймається ({what}). Посилання, пов'язані зі шкідливим ПЗ, "
        "фішингом або прихованими цілями, відхиляються; надішліть повне публічне посилання.",
        _("Blocked targets: deny lists and link shorteners"),
        thresholds={"shorteners": SHORTENERS},
    ),
    RuleSpec(
        "content.sensitive", (ORDER_PLACE,), Outcome.REVIEW, _sensitive_text,
        "Your order's text contains terms that need a staff review ({terms}); it is paid and "
        "held until a moderator checks it.",
        "Текст замовлення містить терміни, що потребують перевірки ({terms}); замовлення "
        "оплачено й утримується до перевірки модератором.",
        _("Custom comments and mention lists screened for abusive or sensitive terms"),
    ),
    RuleSpec(
        "abuse.invalid_orders", (ORDER_PLACE,), Outcome.REJECT, _invalid_orders,
        INVALID_ORDERS_EN, INVALID_ORDERS_UK,
        _("Duplicate abuse: repeated invalid or re-submitted orders "
        "(reject → API limit → restriction)"),
        thresholds={"window_minutes": 10, "reject_at": 10, "limit_at": 20, "restrict_at": 40},
        field=None,
    ),
    RuleSpec(
        "abuse.fake_disputes", (ORDER_REFILL,), Outcome.REJECT, _escalating("ineligible_refills"),
        "{count} refill requests for ineligible orders in {minutes} minutes. Request refills "
        "only for completed orders of refill services within their refill period.",
        "{count} запитів на поповнення для непридатних замовлень за {minutes} хвилин. "
        "Запитуйте поповнення лише для завершених замовлень послуг із поповненням.",
        _("Duplicate abuse: refill requests on ineligible orders (fake disputes)"),
        thresholds={"window_minutes": 60, "reject_at": 5, "limit_at": 10, "restrict_at": 20},
    ),
    RuleSpec(
        "order.large", (ORDER_PLACE,), Outcome.REVIEW, _large_order,
        "Orders of {amount} or more are checked by staff before they start.",
        "Замовлення на суму {amount} і більше перевіряються персоналом перед запуском.",
        _("Unusually large order held for review"),
        thresholds={"review_at_micros": 500_000_000},
        shadow=True,
    ),
    RuleSpec(
        "api.blocked", (API_REQUEST,), Outcome.LIMIT, _api_blocked,
        "API access is blocked: {reason}." + APPEAL_EN,
        "Доступ до API заблоковано: {reason}." + APPEAL_UK,
        _("API limitation: access blocked for a key or account"),
    ),
    RuleSpec(
        "api.rate", (API_REQUEST,), Outcome.LIMIT, _api_rate,
        "Too many requests, retry in {seconds} s",
        "Забагато запитів, повторіть через {seconds} с",
        _("API fairness: per-key and per-account rate limits"),
        thresholds={"key_per_minute": 3000, "account_per_minute": 6000, "burst": 300},
    ),
    RuleSpec(
        "api.key_ip_spread", (API_REQUEST,), Outcome.REVIEW, _ip_spread,
        "This API key was used from {ips} addresses in the last hour; staff will check it.",
        "Цей API-ключ використано з {ips} адрес за останню годину; персонал перевірить його.",
        _("Exposed key: unusual spread of client addresses"),
        thresholds={"max_ips_per_hour": 20},
    ),
    RuleSpec(
        "ticket.duplicate", (TICKET_CREATE,), Outcome.REJECT, _duplicate_ticket,
        "You already have an open ticket about this (#{ticket}); please add to it instead.",
        "У вас уже є відкрите звернення щодо цього (#{ticket}); доповніть, будь ласка, його.",
        _("Tickets honestly: duplicate tickets"),
        thresholds={"window_days": 30},
    ),
    RuleSpec(
        "ticket.flood", (TICKET_CREATE,), Outcome.REJECT, _ticket_flood,
        "{count} tickets in {minutes} minutes is the limit; please wait for answers.",
        "Ліміт — {count} звернень за {minutes} хвилин; зачекайте, будь ласка, на відповіді.",
        _("Tickets honestly: ticket floods"),
        thresholds={"window_minutes": 60, "max": 5},
    ),
    RuleSpec(
        "chargeback.recorded", (CHARGEBACK,), Outcome.RESTRICT, _chargeback,
        "A chargeback of {amount} was recorded; ordering is blocked and the balance is under "
        "review." + APPEAL_EN,
        "Зафіксовано повернення платежу {amount}; замовлення заблоковані, баланс на "
        "перевірці." + APPEAL_UK,
        _("Chargebacks: restrict the account and open a balance review"),
    ),
)  # fmt: skip

BY_CODE = {spec.code: spec for spec in RULES}
