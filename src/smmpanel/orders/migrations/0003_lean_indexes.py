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
        ("orders", "0002_scale_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="order",
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
                    'DROP INDEX IF EXISTS "orders_order_user_id_e9b59eb1"',
                    reverse_sql='CREATE INDEX "orders_order_user_id_e9b59eb1" ON "orders_order" ("user_id")',
                ),
            ],
        ),
    ]
