"""Rate-limit buckets skip PostgreSQL's write-ahead log: two writes on every API request
need no durability (a crash empties the table, which only resets every bucket to full)."""

from django.db import migrations


def unlogged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE policy_ratebucket SET UNLOGGED")


def logged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE policy_ratebucket SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [("policy", "0002_decision_rule_state")]

    operations = [migrations.RunPython(unlogged, logged)]
