from django.db import migrations, models


def mark_limited_accounts(apps, schema_editor):
    """Accounts with a restriction or API limitation not lifted yet keep being checked."""
    User = apps.get_model("accounts", "User")
    Restriction = apps.get_model("policy", "Restriction")
    ApiLimit = apps.get_model("policy", "ApiLimit")
    limited = set(Restriction.objects.filter(lifted_at__isnull=True).values_list("user_id", flat=True))
    limited |= set(ApiLimit.objects.filter(lifted_at__isnull=True).values_list("user_id", flat=True))
    User.objects.filter(pk__in=limited).update(policy_limited=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_staff_role"),
        ("policy", "0002_decision_rule_state"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="policy_limited",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(mark_limited_accounts, migrations.RunPython.noop),
    ]
