"""The panel in Ukrainian: the main pages render in Ukrainian for the language cookie and
for a browser that prefers uk, and the committed catalog is complete, compiled and in step
with the source, so a new string cannot silently stay English."""

import gettext
import html
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

from smmpanel.accounts.models import User
from smmpanel.accounts.services import update_preferences
from smmpanel.orders.errors import OrderRefused
from smmpanel.orders.models import OrderStatus
from smmpanel.support.models import TicketStatus
from tests.factories import make_order, make_service, make_user

SOURCE = Path(settings.BASE_DIR)
CATALOG = SOURCE / "locale" / "uk" / "LC_MESSAGES"
PO_FILE = CATALOG / "django.po"
MO_FILE = CATALOG / "django.mo"
UK_PLURALS = (
    "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<10 || n%100>=20) ? 1 : 2);"
)
BROWSER_PREFERS_UK = "uk-UA,uk;q=0.9,en-US;q=0.6,en;q=0.5"

# English labels of the header; none may be left in a Ukrainian page's header.
HEADER_ENGLISH = [
    "New order",
    "Mass order",
    "Orders",
    "Refills",
    "Add funds",
    "Tickets",
    "Services",
    "Updates",
    "Log in",
    "Log out",
    "Sign up",
    "Skip to content",
]
FOOTER_ENGLISH = ["Acceptable Use Policy", "Terms", "Delivery is done by upstream providers"]

# path -> (Ukrainian that must appear, English that must not)
SIGNED_IN_PAGES = {
    "/dashboard/": (["Баланс", "Останні замовлення", "Очікує", "Витрачено цього місяця"],
                    ["Recent orders", "Dashboard", "Spent this month"]),
    "/orders/new/": (["Нове замовлення", "Виберіть послугу", "Платформа"],
                     ["Choose a service", "All platforms"]),
    "/orders/": (["Замовлення", "Що означають статуси", "Виконується", "Очікує"],
                 ["What the statuses mean", "Your orders, newest first", "In progress"]),
    "/refills/": (["Відновлення", "Відновлень ще немає."], ["No refills yet."]),
    "/funds/": (["Внести кошти", "Способи оплати", "Банківський переказ"],
                ["Payment methods", "Request a deposit", "Bank transfer"]),
    "/tickets/": (["Звернення до підтримки", "Нове звернення"],
                  ["Support tickets", "New ticket"]),
    "/tickets/new/": (["Замовлення, яких стосується звернення", "Платіж"],
                      ["Orders this ticket is about", "Open ticket"]),
    "/settings/": (["Налаштування акаунта", "Мова й часовий пояс", "API-ключі"],
                   ["Account settings", "Change password"]),
    "/api-keys/": (["Ваші API-ключі", "Створити ключ"], ["Your API keys", "Create key"]),
}  # fmt: skip
PUBLIC_PAGES = {
    "/services/": (["Послуги й ціни", "Платформа", "Відновлення"],
                   ["Services and prices", "Rate per 1000", "Clear filters"]),
    "/updates/": (["Оновлення послуг", "Нова послуга"], ["Service updates", "New service"]),
    "/api-docs/": (["Документація API v2", "Типи послуг", "посилання + кількість"],
                   ["API v2 documentation", "Service types", "Rate limits"]),
    "/policy/acceptable-use/": (["Правила допустимого використання"], ["Responsible use"]),
    "/policy/terms/": (["Умови використання"], ["Prepaid balance"]),
    "/login/": (["Увійти", "Зареєструватися"], ["Sign In", "Forgot your password"]),
    "/signup/": (["Я приймаю Умови використання", "Зареєструватися"],
                 ["I accept the Terms", "Already have an account"]),
}  # fmt: skip


def region(page: str, tag: str) -> str:
    """The visible text of the page's first ``<tag>`` element."""
    match = re.search(rf"<{tag}\b.*?</{tag}>", page, re.S)
    assert match, f"no <{tag}> in the page"
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(0)))


def assert_ukrainian(client, path: str, wanted: list[str], unwanted: list[str]) -> None:
    response = client.get(path)
    assert response.status_code == 200, path
    page = response.content.decode()
    text = html.unescape(page)
    assert '<html lang="uk">' in page, path
    for words in wanted:
        assert words in text, f"{path}: {words!r} missing"
    for words in unwanted:
        assert words not in text, f"{path}: English {words!r} left"
    # The header and the sidebar's main navigation (the page's first <nav>).
    header, footer = region(page, "header") + region(page, "nav"), region(page, "footer")
    for label in HEADER_ENGLISH:
        assert not re.search(rf"\b{label}\b", header), f"{path}: header still says {label!r}"
    for label in FOOTER_ENGLISH:
        assert label not in footer, f"{path}: footer still says {label!r}"


@pytest.fixture
def account(db):
    """A customer with a balance, one pending order and a service change on record."""
    user = make_user("100")
    make_order(user, make_service())
    return user


@pytest.mark.parametrize("path", list(SIGNED_IN_PAGES))
def test_signed_in_pages_follow_the_language_cookie(client, account, path):
    client.force_login(account)  # saved language "en": the cookie wins in this browser
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    assert_ukrainian(client, path, *SIGNED_IN_PAGES[path])


@pytest.mark.parametrize("path", list(PUBLIC_PAGES))
def test_public_pages_follow_the_language_cookie(client, account, path):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    assert_ukrainian(client, path, *PUBLIC_PAGES[path])


@pytest.mark.parametrize("path", list(PUBLIC_PAGES))
def test_public_pages_are_ukrainian_for_a_browser_that_prefers_it(client, account, path):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = BROWSER_PREFERS_UK
    assert_ukrainian(client, path, *PUBLIC_PAGES[path])


@pytest.mark.parametrize("path", list(SIGNED_IN_PAGES))
def test_signed_in_pages_are_ukrainian_for_a_browser_that_prefers_it(client, account, path):
    update_preferences(account, language="uk", timezone="UTC")  # as a uk sign-up saves it
    client.force_login(account)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = BROWSER_PREFERS_UK
    assert_ukrainian(client, path, *SIGNED_IN_PAGES[path])


def test_a_browser_that_prefers_ukrainian_signs_up_and_stays_in_ukrainian(client, db):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = BROWSER_PREFERS_UK
    response = client.post(
        "/signup/",
        {
            "email": "nova@example.com",
            "password1": "Sturdy-pass-2026",
            "password2": "Sturdy-pass-2026",
            "accept_terms": "on",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(email="nova@example.com").language == "uk"
    assert_ukrainian(client, "/orders/", *SIGNED_IN_PAGES["/orders/"])


def test_the_english_pages_stay_english(client, account):
    client.force_login(account)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = html.unescape(client.get("/orders/").content.decode())
    assert '<html lang="en">' in page and "What the statuses mean" in page
    assert "New order" in region(page, "nav") and "Нове замовлення" not in page


def test_status_labels_and_fixed_refusals_are_translated():
    with translation.override("uk"):
        assert str(OrderStatus.PENDING.label) == "Очікує"
        assert str(OrderStatus.IN_PROGRESS.label) == "Виконується"
        assert str(OrderStatus.COMPLETED.label) == "Виконано"
        assert str(OrderStatus.PARTIAL.label) == "Частково"
        assert str(OrderStatus.CANCELED.label) == "Скасовано"
        assert str(OrderStatus.REVIEW.label) == "На перевірці"
        assert str(OrderStatus.FAIL.label) == "Помилка"
        assert str(TicketStatus.OPEN.label) == "Відкрите"
        assert translation.ngettext("%(n)s service", "%(n)s services", 21) == "%(n)s послуга"
        assert translation.ngettext("%(n)s service", "%(n)s services", 3) == "%(n)s послуги"
        assert translation.ngettext("%(n)s service", "%(n)s services", 11) == "%(n)s послуг"
    # API v2 refusals keep their fixed English; the web shows them in Ukrainian.
    below = OrderRefused("Quantity less than minimal 50", field="quantity")
    assert below.text("en") == below.message == "Quantity less than minimal 50"
    assert below.text("uk") == "Кількість менша за мінімальну (50)"
    assert OrderRefused("Not enough funds on balance").text("uk") == (
        "Недостатньо коштів на балансі"
    )


# -- the catalog --------------------------------------------------------------------------


def read_po(path: Path) -> tuple[dict[str, str], list[dict]]:
    """The header fields and the entries of a .po file (obsolete ``#~`` entries skipped).

    Each entry: ``flags`` (set), ``msgctxt`` (or None), ``msgid``, ``msgid_plural`` (or
    None) and ``msgstr`` (a list: one item, or one per plural form).
    """

    def unquote(line: str) -> str:
        body = line[line.index('"') + 1 : line.rindex('"')]
        return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), body)

    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [ln for ln in block.strip().splitlines() if not ln.startswith("#~")]
        if not any(ln.startswith("msgid") for ln in lines):
            continue
        entry = {"flags": set(), "msgctxt": None, "msgid_plural": None, "msgstr": {}}
        key = None
        for line in lines:
            if line.startswith("#,"):
                entry["flags"] |= {f.strip() for f in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                if isinstance(key, int):
                    entry["msgstr"][key] += unquote(line)
                else:
                    entry[key] += unquote(line)
            else:
                keyword = line.split(" ", 1)[0]
                plural_form = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
                key = int(plural_form[1]) if plural_form else keyword
                key = 0 if key == "msgstr" else key
                if isinstance(key, int):
                    entry["msgstr"][key] = unquote(line)
                else:
                    entry[key] = unquote(line)
        entry["msgstr"] = [entry["msgstr"][i] for i in sorted(entry["msgstr"])]
        entries.append(entry)
    header = next(e for e in entries if e["msgid"] == "" and not e["msgctxt"])
    entries.remove(header)
    fields = dict(line.split(": ", 1) for line in header["msgstr"][0].splitlines() if ": " in line)
    return fields, entries


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\(\w+\)[sd]|\{\w+\}", text))


def test_the_catalog_header_has_the_ukrainian_plural_rule():
    fields, _entries = read_po(PO_FILE)
    assert fields["Language"] == "uk"
    assert fields["Plural-Forms"] == UK_PLURALS
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"


def test_every_string_is_translated_and_none_is_fuzzy():
    _fields, entries = read_po(PO_FILE)
    assert len(entries) > 500
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert not fuzzy, f"fuzzy entries (Django ignores them): {fuzzy}"
    empty = [e["msgid"] for e in entries if not all(s.strip() for s in e["msgstr"])]
    assert not empty, f"untranslated strings: {empty}"
    wrong_forms = [e["msgid"] for e in entries if e["msgid_plural"] and len(e["msgstr"]) != 3]
    assert not wrong_forms, f"plural entries without the 3 Ukrainian forms: {wrong_forms}"


def test_translations_keep_the_placeholders_and_are_not_english_copies():
    _fields, entries = read_po(PO_FILE)
    same_in_both = {"API", "ID", "%(a)s → %(b)s"}
    copies = [
        e["msgid"]
        for e in entries
        if e["msgstr"][0] == e["msgid"] and e["msgid"] not in same_in_both
    ]
    assert not copies, f"msgstr copied from English: {copies}"
    broken = []
    for e in entries:
        for i, text in enumerate(e["msgstr"]):
            source = e["msgid_plural"] if e["msgid_plural"] and i else e["msgid"]
            if placeholders(text) != placeholders(source):
                broken.append((e["msgid"], text))
    assert not broken, f"placeholders changed: {broken}"


def test_the_compiled_catalog_matches_the_po_file():
    """The .mo is committed (CI may have no gettext to compile it) and must be current."""
    assert MO_FILE.exists(), "run: msgfmt -o django.mo django.po (in the uk catalog)"
    with MO_FILE.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    _fields, entries = read_po(PO_FILE)
    stale = []
    for e in entries:
        msgid = e["msgid"] if not e["msgctxt"] else f"{e['msgctxt']}\x04{e['msgid']}"
        if e["msgid_plural"]:
            forms = [compiled.ngettext(msgid, e["msgid_plural"], n) for n in (1, 2, 5)]
            if forms != e["msgstr"]:
                stale.append(e["msgid"])
        elif compiled.gettext(msgid) != e["msgstr"][0]:
            stale.append(e["msgid"])
    assert not stale, f"django.mo is older than django.po; recompile it: {stale[:10]}"


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext is not installed")
def test_the_catalog_has_every_string_of_the_source(tmp_path, monkeypatch):
    """Extract the strings afresh from a copy of the source: any the committed catalog
    lacks would show in English (run ``makemessages -l uk`` and translate them)."""
    copy = tmp_path / "smmpanel"
    shutil.copytree(
        SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__", "locale", "static", "*.pyc")
    )
    (copy / "locale").mkdir()
    monkeypatch.chdir(copy)
    with override_settings(LOCALE_PATHS=[str(copy / "locale")]):
        call_command(
            "makemessages", locale=["uk"], ignore_patterns=["providers/simulator/*"], verbosity=0
        )
    _fields, fresh = read_po(copy / "locale" / "uk" / "LC_MESSAGES" / "django.po")
    _fields, committed = read_po(PO_FILE)
    known = {(e["msgctxt"], e["msgid"]) for e in committed}
    missing = sorted(e["msgid"] for e in fresh if (e["msgctxt"], e["msgid"]) not in known)
    assert not missing, f"strings missing from the uk catalog: {missing}"


# -- every page, in Ukrainian, with real data (issue 16, item 14) ---------------------------


def visible_text(page: str) -> str:
    """What a reader sees: text nodes and the labels read aloud or shown on hover. Code
    (API values, which stay English by contract) and what the page marks
    ``translate="no"`` (staff-typed memos shown to staff) are left out."""
    page = re.sub(r"<(script|style|code|pre|samp|kbd)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'<(\w+)\b[^>]*\btranslate="no"[^>]*>.*?</\1>', " ", page, flags=re.S)
    labels = re.findall(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"', page)
    text = re.sub(r"<[^>]+>", " ", page) + " " + " ".join(labels)
    return " ".join(html.unescape(text).split())


def english_patterns() -> list[tuple[str, re.Pattern]]:
    """Every English msgid of the catalog whose Ukrainian differs, as a pattern that finds
    it in a page's text (placeholders match any value)."""
    _fields, entries = read_po(PO_FILE)
    patterns = []
    for e in entries:
        for source in filter(None, [e["msgid"], e["msgid_plural"]]):
            if source in e["msgstr"] or not re.search(r"[A-Za-z]{2}", source):
                continue
            parts = re.split(r"%\(\w+\)[sd]|\{\w+\}", " ".join(source.split()))
            body = r"\S{1,40}".join(re.escape(part) for part in parts)
            start = r"\b" if source[:1].isalnum() else ""
            end = r"\b" if source[-1:].isalnum() else ""
            patterns.append((source, re.compile(start + body + end)))
    return patterns


@pytest.fixture
def panel(db):
    """Customer and staff data of every kind, named in Ukrainian as an operator would:
    orders pending, in progress, completed, partial and canceled, a refill, a ticket,
    and ledger entries of each kind (deposit, charge, refund, adjustment, chargeback)."""
    from smmpanel.billing.deposits import confirm_deposit, request_deposit
    from smmpanel.billing.gateway_settings import add_bonus_tier
    from smmpanel.billing.services import adjust, record_chargeback
    from smmpanel.orders.services import (
        cancel_and_refund,
        complete_order,
        refund_remains,
        request_refill,
    )
    from smmpanel.orders.state import transition
    from smmpanel.support.services import open_ticket
    from tests.factories import make_staff

    owner = make_staff(User.StaffRole.OWNER)
    customer = make_user("100")
    service = make_service(name="Лайки на допис", start_time="0-1 год", speed="5 тис./добу")
    orders = [make_order(customer, service) for _ in range(5)]
    transition(orders[1], OrderStatus.IN_PROGRESS, start_count=1234)
    refilled = complete_order(orders[2], start_count=10)
    refund_remains(orders[3], 40)
    cancel_and_refund(orders[4])
    request_refill(customer, refilled.pk)
    add_bonus_tier(20_000_000, 500)
    confirm_deposit(request_deposit(customer, "manual", "25"), actor=owner)
    waiting = request_deposit(customer, "manual", "10", customer_reference="Платіж 42")
    adjust(customer, 1_000_000, memo="goodwill", created_by=owner)
    record_chargeback(customer, 500_000, memo="bank dispute", created_by=owner)
    ticket = open_ticket(customer, "refill", "Де мої лайки?", "Допоможіть", [refilled.pk])
    return {
        "customer": customer,
        "owner": owner,
        "orders": orders,
        "ticket": ticket,
        "service": service,
        "deposit": waiting,
    }


def customer_pages(panel) -> list[str]:
    o, ticket = panel["orders"], panel["ticket"]
    return [
        "/dashboard/",
        "/orders/new/",
        f"/orders/new/?service={panel['service'].pk}",
        "/orders/mass/",
        "/orders/",
        "/refills/",
        "/funds/",
        "/funds/history/",
        "/tickets/",
        "/tickets/new/",
        f"/tickets/{ticket.pk}/",
        "/settings/",
        "/api-keys/",
        f"/orders/{o[0].pk}/cancel/",
        *[f"/orders/{order.pk}/" for order in o],
        "/funds/quote/?gateway=manual&amount=25",
        "/funds/payments/",
        f"/funds/payments/{panel['deposit'].reference}/",
    ]


# API v2 names on /api-docs/ (actions, fields, headers, service types) are shown as code:
# they stay English by contract, and the check leaves code out.
PUBLIC_PATHS = [
    "/services/",
    "/updates/",
    "/policy/acceptable-use/",
    "/api-docs/",
    "/policy/terms/",
    "/login/",
    "/signup/",
    "/accounts/password/reset/",
]


def staff_pages(panel) -> list[str]:
    customer, ticket = panel["customer"], panel["ticket"]
    return [
        "/staff/",
        "/staff/orders/",
        "/staff/users/",
        f"/staff/users/{customer.pk}/",
        "/staff/rules/",
        "/staff/deny/",
        "/staff/audit/",
        "/staff/tickets/",
        f"/staff/tickets/{ticket.pk}/",
        "/staff/tickets/canned/",
        "/staff/funds/deposits/",
        f"/staff/funds/users/{customer.pk}/chargeback/",
        "/staff/catalog/services/",
        "/staff/catalog/categories/",
        "/staff/providers/",
        "/staff/reports/",
        "/staff/settings/payments/",
        "/staff/settings/payments/manual/",
        "/staff/settings/payments/stripe/",
    ]


def english_left(client, paths: list[str]) -> list[str]:
    patterns = english_patterns()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    found = []
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        text = visible_text(response.content.decode())
        found += [f"{path}: {msgid!r}" for msgid, pattern in patterns if pattern.search(text)]
    return found


def test_no_customer_page_shows_an_english_string_of_the_catalog(client, panel):
    client.force_login(panel["customer"])
    assert english_left(client, customer_pages(panel)) == []


def test_no_public_page_shows_an_english_string_of_the_catalog(client, panel):
    assert english_left(client, PUBLIC_PATHS) == []


def test_no_staff_page_shows_an_english_string_of_the_catalog(client, panel):
    client.force_login(panel["owner"])
    assert english_left(client, staff_pages(panel)) == []


def test_the_transactions_details_are_described_in_ukrainian(client, panel):
    client.force_login(panel["customer"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    text = visible_text(client.get("/funds/history/").content.decode())
    partial = panel["orders"][3].pk
    assert f"Замовлення {partial} · повернення за невиконану частину" in text
    assert "Банківський переказ" in text and "(manual)" not in text
    assert "goodwill" not in text and "partial" not in text


def test_settings_saved_is_said_in_the_language_just_chosen(client, panel):
    client.force_login(panel["customer"])
    response = client.post("/settings/", {"language": "uk", "timezone": "UTC"}, follow=True)
    assert "Налаштування збережено." in response.content.decode()


def test_an_order_refill_and_the_cancel_button_use_the_glossary_words(client, panel):
    client.force_login(panel["customer"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    text = visible_text(client.get("/orders/").content.decode())
    assert "Скасувати" in text and "Відновити" in text
    assert "Поповнити" not in text and ">Скасування<" not in client.get("/orders/").content.decode()


def test_the_updates_page_states_refill_periods_in_ukrainian(client, panel):
    from smmpanel.catalog.services import update_service

    update_service(panel["service"], refill=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    text = visible_text(client.get("/updates/").content.decode())
    assert "30 днів" in text and "Без відновлення" in text
    assert "30 days" not in text and "no refill" not in text


def test_the_password_reset_email_is_in_ukrainian(client, panel, mailoutbox):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    client.post("/accounts/password/reset/", {"email": panel["customer"].email})
    assert len(mailoutbox) == 1
    patterns = english_patterns()
    mail = mailoutbox[0]
    text = " ".join(f"{mail.subject} {mail.body}".split())
    assert [msgid for msgid, pattern in patterns if pattern.search(text)] == []
    assert re.search(r"[А-Яа-яІіЇїЄєҐґ]{4}", text), text
