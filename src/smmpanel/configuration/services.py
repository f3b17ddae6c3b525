"""Writing the stored panel settings. The caller (the staff page) audits the change
with the names this returns; secret values never leave here but sealed."""

from django.db import transaction

from smmpanel.configuration import secrets
from smmpanel.configuration.models import PanelSettings
from smmpanel.configuration.selectors import SINGLETON_PK

# Form names of secrets → the sealed column each replaces when a new value is given.
SECRET_FIELDS = {
    "smtp_password": "smtp_password_sealed",
    "telegram_bot_token": "telegram_bot_token_sealed",
}


def save_settings(
    values: dict, *, logo: tuple[bytes, str] | None = None, remove_logo: bool = False
) -> list[str]:
    """Store ``values`` (stored field names, and secret names whose non-empty value
    replaces the sealed one), the ``logo`` (bytes, content type) when given; return the
    names of the fields that changed, in order."""
    with transaction.atomic():
        row, _created = PanelSettings.objects.select_for_update().get_or_create(pk=SINGLETON_PK)
        changed = []
        for name, value in values.items():
            if name in SECRET_FIELDS:
                if value:
                    setattr(row, SECRET_FIELDS[name], secrets.seal(value))
                    changed.append(name)
                continue
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed.append(name)
        if logo is not None:
            row.logo, row.logo_type = logo
            changed.append("logo")
        elif remove_logo and row.logo_type:
            row.logo, row.logo_type = b"", ""
            changed.append("logo")
        if changed:
            row.save()
    return changed


def clear_secret(name: str) -> bool:
    """Forget a stored secret (``smtp_password`` or ``telegram_bot_token``); whether one
    was stored."""
    column = SECRET_FIELDS[name]
    return bool(
        PanelSettings.objects.filter(pk=SINGLETON_PK).exclude(**{column: ""}).update(**{column: ""})
    )
