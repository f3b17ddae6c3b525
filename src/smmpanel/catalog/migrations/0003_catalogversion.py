"""The catalog version: a one-row counter raised by triggers on every change to the
catalog's tables, in the changing transaction (see ``CatalogVersion``)."""

from django.db import migrations, models

TABLES = ("catalog_service", "catalog_category", "catalog_platform")
BUMP = "UPDATE catalog_catalogversion SET counter = counter + 1 WHERE id = 1"

POSTGRESQL = [
    "CREATE FUNCTION catalog_version_bump() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN {BUMP}; RETURN NULL; END $$",
    *(
        f"CREATE TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump()"
        for table in TABLES
    ),
]
POSTGRESQL_REVERSE = [
    *(f"DROP TRIGGER IF EXISTS {table}_version ON {table}" for table in TABLES),
    "DROP FUNCTION IF EXISTS catalog_version_bump()",
]
# SQLite has row triggers only: a bulk change raises the counter once per row.
SQLITE = [
    f"CREATE TRIGGER {table}_{event.lower()}_version AFTER {event} ON {table} "
    f"BEGIN {BUMP}; END"
    for table in TABLES
    for event in ("INSERT", "UPDATE", "DELETE")
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {table}_{event.lower()}_version"
    for table in TABLES
    for event in ("INSERT", "UPDATE", "DELETE")
]


def create_triggers(apps, schema_editor):
    connection = schema_editor.connection
    apps.get_model("catalog", "CatalogVersion").objects.create(id=1, counter=0)
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    connection = schema_editor.connection
    statements = {"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}
    for statement in statements.get(connection.vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0002_customrate"),
    ]

    operations = [
        migrations.CreateModel(
            name="CatalogVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("counter", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
