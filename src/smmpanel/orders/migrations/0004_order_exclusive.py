"""``Order.exclusive`` and the unique constraint that keeps one active order per link.

Orders already placed stay not ``exclusive`` (no backfill, so no duplicate among old
active orders can fail the migration): the placing statement's own check still sees
them. The column keeps a database default, so processes still running the code from
before it can insert orders until they restart. On PostgreSQL the column is added
without rewriting the table; building the partial unique index reads the whole orders
table once (it holds no rows yet), and orders cannot be written meanwhile.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_catalogversion"),
        ("orders", "0003_lean_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="exclusive",
            field=models.BooleanField(
                db_default=False,
                default=False,
                help_text="placed under the one-active-order-per-link rule of its service",
            ),
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("exclusive", True),
                    ("status__in", ("pending", "in_progress", "processing", "review", "fail")),
                ),
                fields=("user", "link_key", "service"),
                name="order_one_active_per_target",
            ),
        ),
    ]
