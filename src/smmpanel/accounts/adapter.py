"""allauth hooks: a new account gets its wallet and the language it signed up in."""

from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction
from django.utils import translation


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
