from django.db import migrations, models


class Migration(migrations.Migration):
    """The background sweep picks refill submissions by state (queued and due, active):
    an index like ``submission_due`` keeps each pass flat as refills accumulate."""

    dependencies = [
        ("providers", "0002_provider_health"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="refillsubmission",
            index=models.Index(fields=["state", "next_attempt_at"], name="refill_submission_due"),
        ),
    ]
