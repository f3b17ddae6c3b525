"""Seal the two-factor secrets stored before the panel sealed them
(``accounts.mfa_secrets``). Going back unseals them, so code from before this
migration (allauth's own adapter, which stores them as they are) reads them again."""

from django.db import migrations

from smmpanel.accounts.mfa_secrets import seal_stored, unseal_stored


def seal_existing(apps, schema_editor):
    _rewrite(apps, seal_stored)


def unseal_existing(apps, schema_editor):
    _rewrite(apps, unseal_stored)


def _rewrite(apps, change) -> None:
    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.only("pk", "data").iterator():
        changed = change(authenticator.data)
        if changed != authenticator.data:
            Authenticator.objects.filter(pk=authenticator.pk).update(data=changed)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_policy_limited"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(seal_existing, unseal_existing)]
