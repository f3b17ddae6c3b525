"""allauth hooks: a new account gets its wallet and the language it signed up in,
login limits count by the same client address as the API's limits, and two-factor
secrets are sealed at rest."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import translation

from smmpanel.accounts import mfa_secrets
from smmpanel.accounts.mail import MAIL_NOT_CONFIGURED, mail_configured
from smmpanel.client_ip import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        from smmpanel.billing.services import open_wallet

        language = translation.get_language() or "en"
        user.language = "uk" if language.startswith("uk") else "en"
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                open_wallet(user)
        return user

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Send allauth's mail (verification, reset) or, with no mail server, say so to
        the person waiting for it instead of letting them wait."""
        if mail_configured():
            super().send_mail(template_prefix, email, context)
        elif self.request is not None:
            messages.error(self.request, MAIL_NOT_CONFIGURED)

    def get_client_ip(self, request) -> str:
        """The address allauth's rate limits count by: the panel's one reading of it
        (``TRUSTED_PROXY_COUNT``), so login and API limits agree on who the client is."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip


class MFAAdapter(DefaultMFAAdapter):
    """allauth keeps TOTP secrets and recovery-code seeds as this returns them."""

    def encrypt(self, text: str) -> str:
        return mfa_secrets.seal(text)

    def decrypt(self, encrypted_text: str) -> str:
        return mfa_secrets.unseal(encrypted_text)
