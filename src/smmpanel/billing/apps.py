from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save


class BillingConfig(AppConfig):
    name = "smmpanel.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # Every account has a wallet from its first moment, whoever creates it (sign-up,
        # ``createuser``, the admin): accounts, a layer below, know nothing of money.
        from smmpanel.billing.services import open_wallet

        def open_wallet_of_new_user(sender, instance, created: bool, raw=False, **kwargs):
            if created and not raw:  # a fixture load brings its own wallets
                open_wallet(instance)

        post_save.connect(
            open_wallet_of_new_user,
            sender=settings.AUTH_USER_MODEL,
            weak=False,
            dispatch_uid="billing-open-wallet",
        )
