"""Drop single-column indexes that a composite index or constraint already leads with:
fewer index entries to write for every order placed.

Only the indexes go. ``AlterField`` alone would also drop and re-add the foreign-key
constraints, which re-checks every row of a table that may hold millions.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_lean_indexes"),
        ("providers", "0003_refill_submission_due"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="submission",
                    name="next_attempt_at",
                    field=models.DateTimeField(),
                ),
                migrations.AlterField(
                    model_name="submission",
                    name="order",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="submissions",
                        to="orders.order",
                    ),
                ),
                migrations.AlterField(
                    model_name="submission",
                    name="provider",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to="providers.provider",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "providers_submission_next_attempt_at_15c8f328"',
                    reverse_sql='CREATE INDEX "providers_submission_next_attempt_at_15c8f328" ON "providers_submission" ("next_attempt_at")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "providers_submission_order_id_16f31e7c"',
                    reverse_sql='CREATE INDEX "providers_submission_order_id_16f31e7c" ON "providers_submission" ("order_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "providers_submission_provider_id_2676228a"',
                    reverse_sql='CREATE INDEX "providers_submission_provider_id_2676228a" ON "providers_submission" ("provider_id")',
                ),
            ],
        ),
    ]
