"""Seal the two-factor secrets stored before the panel sealed them
(``accounts.mfa_secrets``). Reading stays possible both ways, so going back needs
nothing: unsealed values are read as they are."""

from django.db import migrations

from smmpanel.accounts.mfa_secrets import seal_stored


def seal_existing(apps, schema_editor):
    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.only("pk", "data").iterator():
        sealed = seal_stored(authenticator.data)
        if sealed != authenticator.data:
            Authenticator.objects.filter(pk=authenticator.pk).update(data=sealed)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_policy_limited"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(seal_existing, migrations.RunPython.noop)]
