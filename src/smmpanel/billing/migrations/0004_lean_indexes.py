"""Drop single-column indexes that a composite index or constraint already leads with:
fewer index entries to write for every order placed.

Only the indexes go. ``AlterField`` alone would also drop and re-add the foreign-key
constraints, which re-checks every row of a table that may hold millions.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_depositrequest"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ledgerentry",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "billing_ledgerentry_user_id_b10feb9b"',
                    reverse_sql='CREATE INDEX "billing_ledgerentry_user_id_b10feb9b" ON "billing_ledgerentry" ("user_id")',
                ),
            ],
        ),
    ]
