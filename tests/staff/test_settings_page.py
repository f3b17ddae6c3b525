"""/staff/settings/: the owner stores panel settings, the panel uses them; the
environment wins; secrets are sealed and never shown; other roles are refused."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import send_mail
from django.test import override_settings

from smmpanel.accounts.mail import mail_configured
from smmpanel.accounts.models import User
from smmpanel.audit.models import Decision
from smmpanel.configuration.models import PanelSettings
from smmpanel.configuration.selectors import config
from smmpanel.deploy_checks import UNCONFIGURED_EMAIL_BACKEND
from tests.factories import make_staff, make_user
from tests.notifications.conftest import SmtpServer

URL = "/staff/settings/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def save(client, **fields):
    return client.post(URL, {"reason": "owner's change", **fields})


@pytest.fixture
def owner_client(client, db):
    client.force_login(make_user(role=User.Role.STAFF))
    return client


def test_site_name_saved_shows_on_every_page(owner_client):
    save(owner_client, site_name="Boost Shop")
    assert "Boost Shop" in owner_client.get("/services/").content.decode()


def test_manual_instructions_show_on_the_funds_page_in_the_readers_language(owner_client):
    save(owner_client, manual_instructions_en="IBAN UA00 EN", manual_instructions_uk="IBAN UA00 UK")
    customer = make_user()
    owner_client.force_login(customer)
    assert "IBAN UA00 EN" in owner_client.get("/funds/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_support_contacts_show_in_the_footer(owner_client):
    save(owner_client, support_email="help@example.com", support_telegram="@boost_help")
    page = owner_client.get("/services/").content.decode()
    assert "help@example.com" in page and "https://t.me/boost_help" in page


def test_png_logo_is_served_by_the_panel(owner_client):
    save(owner_client, logo=_upload("logo.png", PNG))
    response = owner_client.get("/logo")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


def test_svg_logo_refused_and_nothing_saved(owner_client):
    response = save(owner_client, site_name="Changed", logo=_upload("logo.svg", SVG))
    assert "PNG or JPEG" in response.content.decode()
    assert not PanelSettings.objects.exists()


def test_bad_email_refused_and_nothing_saved(owner_client):
    response = save(owner_client, site_name="Changed", support_email="not-an-email")
    assert response.status_code == 200 and "email" in response.content.decode().lower()
    assert not PanelSettings.objects.exists()


def test_port_out_of_range_refused_and_nothing_saved(owner_client):
    response = save(owner_client, smtp_host="mail.example.com", smtp_port="70000")
    assert response.status_code == 200
    assert not PanelSettings.objects.exists()


@override_settings(PANEL_SETTINGS_FROM_ENV=frozenset({"SITE_NAME"}), SITE_NAME="Env Name")
def test_environment_wins_over_the_stored_site_name(owner_client):
    PanelSettings.objects.create(pk=1, site_name="Stored Name")
    assert config().site_name == "Env Name"
    assert "Set by the environment variable SITE_NAME" in owner_client.get(URL).content.decode()


def test_smtp_password_sealed_in_the_database(owner_client):
    save(owner_client, smtp_host="mail.example.com", smtp_password="hunter2-secret")
    stored = PanelSettings.objects.get().smtp_password_sealed
    assert stored and "hunter2-secret" not in stored
    assert config().smtp_password() == "hunter2-secret"


def test_secrets_never_rendered_back(owner_client):
    save(owner_client, smtp_password="hunter2-secret", telegram_bot_token="123:bot-secret")
    page = owner_client.get(URL).content.decode()
    assert "hunter2-secret" not in page and "bot-secret" not in page
    assert "<small>set —" in page


def test_empty_secret_input_keeps_the_stored_one(owner_client):
    save(owner_client, smtp_password="hunter2-secret")
    save(owner_client, site_name="Other", smtp_password="")
    assert config().smtp_password() == "hunter2-secret"


def test_save_is_audited_without_secret_values(owner_client):
    save(owner_client, site_name="Audited", smtp_password="hunter2-secret")
    decision = Decision.objects.get(rule_code="settings.change")
    assert "site_name" in decision.inputs["fields"] and "smtp_password" in decision.inputs["fields"]
    assert "hunter2-secret" not in str(decision.inputs) + decision.reason


@pytest.mark.parametrize("role", [User.StaffRole.SUPPORT, User.StaffRole.MODERATOR])
def test_support_and_moderator_refused(client, db, role):
    client.force_login(make_staff(role))
    assert client.get(URL).status_code == 403
    assert save(client, site_name="Nope").status_code == 403
    assert not PanelSettings.objects.exists()


def test_mail_goes_through_the_stored_smtp_server(owner_client):
    server = SmtpServer()
    server.start()
    try:
        save(
            owner_client,
            smtp_host="127.0.0.1",
            smtp_port=str(server.port),
            smtp_security="none",
            from_email="panel@example.com",
        )
        with override_settings(EMAIL_BACKEND=UNCONFIGURED_EMAIL_BACKEND):
            send_mail("Hello", "Body", None, ["customer@example.com"])
    finally:
        server.stop()
    [message] = server.inbox.messages
    assert message["Subject"] == "Hello" and message["From"] == "panel@example.com"
    assert not mail.outbox


@override_settings(EMAIL_BACKEND=UNCONFIGURED_EMAIL_BACKEND)
def test_mail_configured_answers_from_the_stored_smtp_host(owner_client):
    assert not mail_configured()
    save(owner_client, smtp_host="mail.example.com")
    assert mail_configured()


def test_alert_thresholds_and_telegram_apply_to_notifications(owner_client):
    save(
        owner_client,
        alert_fail_minutes="45",
        provider_low_balance="25.50",
        telegram_bot_token="123:tok",
        telegram_chat_ids="-100123, 42",
    )
    current = config()
    assert current.alert_fail_minutes == 45 and current.provider_low_balance == "25.50"
    assert current.telegram_bot_token() == "123:tok"
    assert current.telegram_chat_ids == ["-100123", "42"]


def _upload(name, data):
    return SimpleUploadedFile(name, data)
