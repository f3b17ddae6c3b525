"""``RefillSubmission.claimed_at``: when a worker took the refill to send, so the sweep
can tell one left ``sending`` by a stopped worker (it becomes ``unknown`` for staff).
A nullable column: added without rewriting the table."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('providers', '0004_lean_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='refillsubmission',
            name='claimed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
