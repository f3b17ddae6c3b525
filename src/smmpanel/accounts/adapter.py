"""allauth hooks: a new account gets the language it signed up in (and, from billing,
its wallet), login limits count by the same client address as the API's limits, failed
logins lock an account only for the address they came from (up to a per-account ceiling
across addresses, higher for accounts with TOTP), and two-factor secrets are sealed at
rest."""

import ipaddress

from allauth import app_settings as allauth_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import ratelimit
from allauth.mfa.adapter import DefaultMFAAdapter
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import translation

from smmpanel.accounts import mfa_secrets
from smmpanel.accounts.mail import MAIL_NOT_CONFIGURED, mail_configured
from smmpanel.accounts.selectors import has_totp_by_email
from smmpanel.client_ip import client_ip
from smmpanel.configuration.selectors import config as panel_config


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        language = translation.get_language() or "en"
        user.language = "uk" if language.startswith("uk") else "en"
        user.timezone = panel_config().default_time_zone  # the account's until they choose
        # One transaction with the wallet billing opens for every new user.
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
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

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth's per-"key" failed-login limit counts by this key. With the client
        # address in it, someone failing from elsewhere cannot lock the account for its
        # owner; an IPv6 client counts by its network, as allauth's per-IP limits do.
        account = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{account}:{_address_group(self.get_client_ip(request))}"

    def pre_authenticate(self, request, **credentials) -> None:
        """allauth's limits (per address; per account and address), then the account's
        own ceiling across all addresses: higher for an account with TOTP, which a
        password alone cannot open, but there too, so its password cannot be guessed
        from ever more addresses without end."""
        super().pre_authenticate(request, **credentials)
        key = _account_key(credentials)
        if key is None:
            return
        if not ratelimit.consume(request, action=_ceiling(key), key=key, dry_run=True):
            raise self.validation_error("too_many_login_attempts")

    def authentication_failed(self, request, **credentials) -> None:
        """Count a wrong password towards the account's ceiling."""
        super().authentication_failed(request, **credentials)
        key = _account_key(credentials)
        if key is not None:
            ratelimit.consume(request, action=_ceiling(key), key=key)


# The per-account limits across addresses: ACCOUNT_RATE_LIMITS["login_failed_account"],
# and ["login_failed_totp_account"] for accounts with a TOTP authenticator.
ACCOUNT_CEILING = "login_failed_account"
TOTP_ACCOUNT_CEILING = "login_failed_totp_account"


def _ceiling(key: str) -> str:
    return TOTP_ACCOUNT_CEILING if has_totp_by_email(key) else ACCOUNT_CEILING


def _account_key(credentials: dict) -> str | None:
    login = credentials.get("email") or credentials.get("username") or ""
    return login.strip().lower() or None


def _address_group(ip: str) -> str:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        prefix = allauth_settings.RATE_LIMIT_IPV6_PREFIX
        return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)
    return str(address)


class MFAAdapter(DefaultMFAAdapter):
    """allauth keeps TOTP secrets and recovery-code seeds as this returns them."""

    def encrypt(self, text: str) -> str:
        return mfa_secrets.seal(text)

    def decrypt(self, encrypted_text: str) -> str:
        return mfa_secrets.unseal(encrypted_text)
