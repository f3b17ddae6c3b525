"""The owner's panel settings form (/staff/settings/). Fields the environment sets are
shown disabled with the environment's value; secrets are never filled back in."""

import re
import zoneinfo

from django import forms
from django.conf import settings
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from smmpanel.configuration.env import FIELD_ENV, MAIL_ENV, MAIL_FIELDS
from smmpanel.configuration.selectors import SMTP_SECURITY, PanelConfig, split_list

LOGO_MAX_BYTES = 200 * 1024
# Recognised by their first bytes, never by the name or the browser's content type.
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}

GROUPS = (
    (_("Site"), ("site_name", "logo", "remove_logo", "default_language", "default_time_zone")),
    (_("Support and policy contacts"),
     ("support_email", "support_telegram", "terms_contact", "aup_contact")),
    (_("Manual payment instructions (bank details)"),
     ("manual_instructions_en", "manual_instructions_uk")),
    (_("Mail (SMTP)"),
     ("smtp_host", "smtp_port", "smtp_user", "smtp_password", "smtp_security", "from_email")),
    (_("Telegram and staff alerts"),
     ("telegram_bot_token", "telegram_chat_ids", "staff_alert_emails")),
    (_("Alert thresholds"),
     ("provider_low_balance", "alert_fail_minutes", "alert_pending_minutes",
      "alert_heartbeat_minutes")),
)  # fmt: skip
NUMBERS = ("smtp_port", "alert_fail_minutes", "alert_pending_minutes", "alert_heartbeat_minutes")


class PanelSettingsForm(forms.Form):
    site_name = forms.CharField(label=_("Site name"), max_length=80, required=False)
    logo = forms.FileField(
        label=_("Logo"), required=False, help_text=_("PNG or JPEG, at most 200 KB.")
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    default_language = forms.ChoiceField(
        label=_("Default language"), required=False, choices=[("", "—"), *settings.LANGUAGES]
    )
    default_time_zone = forms.CharField(
        label=_("Default time zone"),
        required=False,
        max_length=64,
        help_text=_("For example Europe/Kyiv."),
    )
    support_email = forms.EmailField(label=_("Support email"), required=False)
    support_telegram = forms.CharField(
        label=_("Support Telegram handle"), required=False, max_length=33
    )
    terms_contact = forms.CharField(label=_("Terms contact line"), required=False, max_length=300)
    aup_contact = forms.CharField(
        label=_("Acceptable Use contact line"), required=False, max_length=300
    )
    manual_instructions_en = forms.CharField(
        label=_("In English"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    manual_instructions_uk = forms.CharField(
        label=_("In Ukrainian"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    smtp_host = forms.CharField(label=_("SMTP host"), required=False, max_length=255)
    smtp_port = forms.IntegerField(
        label=_("SMTP port"), required=False, min_value=1, max_value=65535
    )
    smtp_user = forms.CharField(label=_("SMTP user"), required=False, max_length=255)
    smtp_password = forms.CharField(
        label=_("SMTP password"), required=False, widget=forms.PasswordInput(render_value=False)
    )
    smtp_security = forms.ChoiceField(
        label=_("SMTP security"),
        required=False,
        choices=[("", "—")] + [(s, s) for s in SMTP_SECURITY],
    )
    from_email = forms.EmailField(label=_("Sender address"), required=False)
    telegram_bot_token = forms.CharField(
        label=_("Telegram bot token"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )
    telegram_chat_ids = forms.CharField(
        label=_("Telegram chat ids"),
        required=False,
        max_length=500,
        help_text=_("Comma-separated."),
    )
    staff_alert_emails = forms.CharField(
        label=_("Staff alert emails"),
        required=False,
        max_length=1000,
        help_text=_("Comma-separated."),
    )
    provider_low_balance = forms.DecimalField(
        label=_("Provider balance low below"),
        required=False,
        min_value=0,
        decimal_places=2,
        max_digits=12,
    )
    alert_fail_minutes = forms.IntegerField(
        label=_("Orders in Fail for longer than (minutes)"),
        required=False,
        min_value=1,
        max_value=100_000,
    )
    alert_pending_minutes = forms.IntegerField(
        label=_("Orders Pending for longer than (minutes)"),
        required=False,
        min_value=1,
        max_value=100_000,
    )
    alert_heartbeat_minutes = forms.IntegerField(
        label=_("Worker silent for longer than (minutes)"),
        required=False,
        min_value=1,
        max_value=100_000,
    )
    reason = forms.CharField(label=_("Reason (for the audit log)"), max_length=500)

    def __init__(self, *args, current: PanelConfig, stored: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current
        self.env_vars: dict[str, str] = {}
        for name, value in stored.items():
            if name in self.fields and name not in ("smtp_password", "telegram_bot_token"):
                self.fields[name].initial = value
        for name in current.from_env:
            if name not in self.fields:
                continue
            field = self.fields[name]
            field.disabled = True
            # Mail is one group (configuration.env): any of its variables owns it all.
            self.env_vars[name] = " / ".join(MAIL_ENV) if name in MAIL_FIELDS else FIELD_ENV[name]
            if name in ("smtp_password", "telegram_bot_token"):
                field.initial = ""
            else:
                value = getattr(current, name, "")
                field.initial = ", ".join(value) if isinstance(value, list) else value

    def clean_support_telegram(self) -> str:
        handle = self.cleaned_data["support_telegram"].strip().removeprefix("@")
        if handle and not re.fullmatch(r"[A-Za-z0-9_]{5,32}", handle):
            raise forms.ValidationError(_("A Telegram handle is 5–32 letters, digits or _."))
        return handle

    def clean_default_time_zone(self) -> str:
        name = self.cleaned_data["default_time_zone"].strip()
        if name and name not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("Unknown time zone."))
        return name

    def clean_telegram_chat_ids(self) -> str:
        ids = split_list(self.cleaned_data["telegram_chat_ids"])
        for chat in ids:
            if not re.fullmatch(r"-?\d{1,20}|@[A-Za-z0-9_]{5,32}", chat):
                raise forms.ValidationError(_("Not a Telegram chat id: %(id)s") % {"id": chat})
        return ", ".join(ids)

    def clean_staff_alert_emails(self) -> str:
        addresses = split_list(self.cleaned_data["staff_alert_emails"])
        for address in addresses:
            try:
                validate_email(address)
            except forms.ValidationError:
                raise forms.ValidationError(
                    _("Not an email address: %(address)s") % {"address": address}
                ) from None
        return ", ".join(addresses)

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(_("The logo is larger than 200 KB."))
        data = upload.read()
        for magic, content_type in LOGO_TYPES.items():
            if data.startswith(magic):
                return data, content_type
        # SVG and everything else refused: an SVG can carry script.
        raise forms.ValidationError(_("The logo must be a PNG or JPEG image."))

    def values(self) -> dict:
        """What to store: every field the environment does not decide, as stored."""
        out = {}
        for name in self.fields:
            if name in ("logo", "remove_logo", "reason") or self.fields[name].disabled:
                continue
            value = self.cleaned_data.get(name)
            if name == "provider_low_balance":
                value = "" if value is None else str(value)
            elif name not in NUMBERS and value is None:
                value = ""
            out[name] = value
        return out

    def groups(self):
        """(title, [(bound field, environment variable that sets it or "")]) per fieldset,
        for the template."""
        return [
            (title, [(self[n], self.env_vars.get(n, "")) for n in names]) for title, names in GROUPS
        ]
