"""Sign-up, sign-in, settings and API keys pages."""

import re

from django.contrib.sessions.models import Session

from smmpanel.accounts.models import ApiKey, User
from smmpanel.accounts.selectors import api_key_for
from smmpanel.billing.models import Wallet
from smmpanel.currencies.services import set_display_rate
from smmpanel.policy.models import Restriction
from smmpanel.policy.services import restrict
from tests.factories import make_staff, make_user

PASSWORD = "pw-Test-12345"


def signup(client, **extra):
    data = {
        "email": "new@example.com",
        "password1": "Sturdy-pass-2026",
        "password2": "Sturdy-pass-2026",
        **extra,
    }
    return client.post("/signup/", data)


def test_signing_up_needs_the_terms_accepted(client, db):
    page = signup(client).content.decode()
    assert "Please accept the Terms" in page
    assert not User.objects.filter(email="new@example.com").exists()


def test_signing_up_creates_the_account_with_a_wallet_and_signs_in(client, db):
    response = signup(client, accept_terms="on")
    user = User.objects.get(email="new@example.com")
    assert response.status_code == 302
    assert Wallet.objects.get(user=user).balance_micros == 0
    assert client.get("/dashboard/").status_code == 200


def test_signing_up_in_ukrainian_saves_ukrainian(client, db):
    client.cookies["django_language"] = "uk"
    signup(client, accept_terms="on")
    assert User.objects.get(email="new@example.com").language == "uk"


def test_a_user_signs_in_with_email_and_password(client, db):
    user = make_user()
    response = client.post("/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200


def test_a_blocked_login_is_told_why(client, db):
    user = make_user()
    restrict(user, Restriction.Level.LOGIN, reason="fraud investigation")
    page = client.post("/login/", {"login": user.email, "password": PASSWORD}).content.decode()
    assert "fraud investigation" in page and "ticket" in page
    assert client.get("/").status_code == 302


def test_a_wrong_password_does_not_reveal_a_block(client, db):
    user = make_user()
    restrict(user, Restriction.Level.LOGIN, reason="fraud investigation")
    page = client.post("/login/", {"login": user.email, "password": "nope"}).content.decode()
    assert "fraud investigation" not in page


def test_settings_save_language_and_time_zone(client, db):
    user = make_user()
    client.force_login(user)
    client.post("/settings/", {"language": "uk", "timezone": "Europe/Kyiv"})
    user.refresh_from_db()
    assert (user.language, user.timezone) == ("uk", "Europe/Kyiv")


def create_key(client, name: str):
    """Create a key as the page does: its form, with the one-time token it carries."""
    page = client.get("/api-keys/").content.decode()
    once = re.search(r'name="once" value="([^"]+)"', page).group(1)
    return client.post("/api-keys/", {"name": name, "once": once})


def shown_key(page: str) -> str:
    return page.split('<code id="new-key">')[1].split("</code>")[0]


def test_an_api_key_is_shown_once_and_works(client, db):
    user = make_user()
    client.force_login(user)
    page = create_key(client, "bot").content.decode()
    key = ApiKey.objects.get(user=user)
    plaintext = shown_key(page)
    assert api_key_for(plaintext) == key
    assert plaintext not in client.get("/api-keys/").content.decode()


def test_a_resent_key_form_creates_no_second_key(client, db):
    user = make_user()
    client.force_login(user)
    page = client.get("/api-keys/").content.decode()
    form = {"name": "bot", "once": re.search(r'name="once" value="([^"]+)"', page).group(1)}
    client.post("/api-keys/", form)

    resent = client.post("/api-keys/", form)  # the browser's "resubmit" on reload

    assert resent.status_code == 302 and resent["Location"] == "/api-keys/"
    assert ApiKey.objects.filter(user=user).count() == 1


def test_a_key_form_without_its_token_creates_nothing(client, db):
    user = make_user()
    client.force_login(user)

    client.post("/api-keys/", {"name": "bot"})

    assert not ApiKey.objects.filter(user=user).exists()


def test_a_new_keys_plaintext_is_never_kept_in_the_session(client, db):
    user = make_user()
    client.force_login(user)
    plaintext = shown_key(create_key(client, "bot").content.decode())

    stored = [s.session_data for s in Session.objects.all()]
    decoded = [str(s.get_decoded()) for s in Session.objects.all()]

    assert not any(plaintext in text for text in stored + decoded)


def test_the_page_with_a_new_key_is_not_kept_by_the_browser(client, db):
    client.force_login(make_user())

    assert create_key(client, "bot")["Cache-Control"] == "no-store"


def test_revoking_a_key_stops_it(client, db):
    user = make_user()
    client.force_login(user)
    create_key(client, "bot")
    key = ApiKey.objects.get(user=user)
    client.post(f"/api-keys/{key.pk}/revoke/")
    key.refresh_from_db()
    assert not key.is_active


def test_another_users_key_cannot_be_revoked(client, db):
    owner = make_user()
    client.force_login(owner)
    create_key(client, "mine")
    key = ApiKey.objects.get(user=owner)
    client.force_login(make_user())
    assert client.post(f"/api-keys/{key.pk}/revoke/").status_code == 404
    key.refresh_from_db()
    assert key.is_active


def test_the_admin_login_goes_through_the_panel_login(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_customer_sees_amounts_also_in_the_display_currency(client, db):
    set_display_rate("UAH", "40", actor=make_staff(User.StaffRole.OWNER), panel_currency="USD")
    user = make_user("10")
    client.force_login(user)
    assert '<option value="UAH">UAH</option>' in client.get("/settings/").content.decode()
    client.post("/settings/currency/", {"code": "UAH"})
    page = client.get("/dashboard/").content.decode()
    header = page[page.index("<header") : page.index("</header>")]
    assert "10.00 USD" in header and "≈ 400.00 UAH" in header
    assert "at the rate of " in page
    client.post("/settings/currency/", {"code": ""})
    assert "≈" not in client.get("/dashboard/").content.decode()
