"""Indexes that keep four paths flat at millions of orders (bench/scale_notes.md).

* ``order_user_status`` gains ``charge_micros`` (covering: the staff card's per-status
  counts and charges are an index-only scan instead of a heap read per order);
* ``order_user_target`` becomes (user, link_key, service): the one-active-order check
  still matches all three, and the customer's search by a pasted link uses (user,
  link_key);
* ``order_cancel_requested``: the unfinished orders with a cancel asked for, where the
  sweep's ``forward_cancels`` starts;
* ``refill_pending``: the moderation queue's stuck refills;
* PostgreSQL only, ``order_link_trgm``: a pg_trgm GIN index on ``UPPER(link)``, the exact
  expression Django's ``link__icontains`` compiles to there (``UPPER("link"::text) LIKE
  UPPER(%s)``), so the customer's and staff's link searches stop reading every order.
  SQLite has no such index: its search reads the user's orders, as small panels can
  afford.

On a big table each ``CREATE INDEX`` holds writes to orders while it builds (the trigram
index took ~2 minutes on 10 million orders). An operator can build ``order_link_trgm``
beforehand with ``CREATE INDEX CONCURRENTLY`` under the same name: this migration then
keeps it.
"""

from django.conf import settings
from django.db import DatabaseError, migrations, models

TRGM_INDEX = "order_link_trgm"


def add_link_trigram_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        installed = cursor.fetchone() is not None
    if not installed:
        try:
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError as exc:
            # Creating an extension needs a superuser (or, from PostgreSQL 13, a role
            # with CREATE on the database: pg_trgm is a trusted extension) and the
            # contrib files installed on the server.
            raise RuntimeError(
                "The link search index needs the PostgreSQL extension pg_trgm, and this "
                f"database role could not create it ({' '.join(str(exc).split())}). Run as a "
                f"superuser, in database {connection.settings_dict['NAME']!r}: "
                "CREATE EXTENSION IF NOT EXISTS pg_trgm; then run migrate again. (On "
                "Debian/Ubuntu the extension comes with the postgresql-contrib package.)"
            ) from exc
    table = schema_editor.quote_name(apps.get_model("orders", "Order")._meta.db_table)
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRGM_INDEX} ON {table} USING gin (UPPER(link) gin_trgm_ops)"
    )


def drop_link_trigram_index(apps, schema_editor):
    # The extension stays: other objects may use it, and dropping it needs a superuser.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_customrate"),
        ("orders", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="order", name="order_user_status"),
        migrations.RemoveIndex(model_name="order", name="order_user_target"),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["user", "status", "-id", "charge_micros"], name="order_user_status"
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["user", "link_key", "service"], name="order_user_target"),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(
                    ("cancel_requested_at__isnull", False),
                    ("status__in", ("pending", "in_progress", "processing", "review", "fail")),
                ),
                fields=["id"],
                name="order_cancel_requested",
            ),
        ),
        migrations.AddIndex(
            model_name="refill",
            index=models.Index(
                condition=models.Q(("status", "pending")), fields=["-id"], name="refill_pending"
            ),
        ),
        migrations.RunPython(add_link_trigram_index, drop_link_trigram_index, elidable=False),
    ]
