"""The sign-up, sign-in and password-reset forms of allauth's pages, as the panel
shows them (``ACCOUNT_FORMS``)."""

from allauth.account.forms import LoginForm as BaseLoginForm
from allauth.account.forms import ResetPasswordForm as BaseResetPasswordForm
from allauth.account.forms import SignupForm as BaseSignupForm
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from smmpanel.accounts.mail import MAIL_NOT_CONFIGURED, mail_configured
from smmpanel.accounts.models import User
from smmpanel.policy.decision_points import check_login


class SignupForm(BaseSignupForm):
    accept_terms = forms.BooleanField(
        label=_("I accept the Terms and the Acceptable Use Policy"),
        error_messages={"required": _("Please accept the Terms and the Acceptable Use Policy.")},
    )


class ResetPasswordForm(BaseResetPasswordForm):
    """Refuse plainly when no mail server is configured: a reset link could reach nobody."""

    def clean(self):
        if not mail_configured():
            raise ValidationError(MAIL_NOT_CONFIGURED)
        return super().clean()


class LoginForm(BaseLoginForm):
    """Tell a person with the right password *why* they cannot sign in (a blocked
    login), instead of a misleading "wrong password"."""

    def clean(self):
        reason = self._blocked_reason()
        if reason:
            raise ValidationError(reason)
        return super().clean()

    def _blocked_reason(self) -> str | None:
        email = (self.cleaned_data.get("login") or "").strip().lower()
        user = User.objects.filter(email__iexact=email).first()
        # Only a blocked account is checked here (allauth's rate limits guard the rest);
        # the reason is shown only to someone who knows the password.
        if user is None or check_login(user).allowed:
            return None
        if not user.check_password(self.cleaned_data.get("password") or ""):
            return None
        return check_login(user).message(translation.get_language() or "en")
