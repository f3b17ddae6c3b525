"""Mail without a mail server: nothing is sent anywhere (least of all to the console),
and the people waiting for a message are told plainly that none is coming."""

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from smmpanel.deploy_checks import UNCONFIGURED_EMAIL_BACKEND
from tests.factories import make_user

NOT_CONFIGURED = "Email is not configured on this panel"

no_mail_server = override_settings(EMAIL_BACKEND=UNCONFIGURED_EMAIL_BACKEND)


@pytest.mark.django_db
@no_mail_server
def test_password_reset_says_mail_is_not_configured(client):
    user = make_user()

    response = client.post(reverse("account_reset_password"), {"email": user.email})

    assert response.status_code == 200  # the form again, not "we have sent you a link"
    assert NOT_CONFIGURED in response.content.decode()
    assert mail.outbox == []


@pytest.mark.django_db
@no_mail_server
@override_settings(ACCOUNT_EMAIL_VERIFICATION="mandatory")
def test_email_verification_says_mail_is_not_configured(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "password1": "pw-Test-12345-long",
            "password2": "pw-Test-12345-long",
            "accept_terms": "on",
        },
        follow=True,
    )

    assert NOT_CONFIGURED in response.content.decode()
    assert mail.outbox == []


@pytest.mark.django_db
def test_password_reset_mails_the_link_when_mail_is_configured(client):
    user = make_user()

    client.post(reverse("account_reset_password"), {"email": user.email})

    (message,) = mail.outbox
    assert message.to == [user.email] and "/password/reset/key/" in message.body
