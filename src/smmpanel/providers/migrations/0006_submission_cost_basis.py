"""``Submission.cost_basis``: how a finished run's provider cost was worked out (the
charge the provider reported, or pro rata to what it delivered). Runs that ended before
it keep a blank basis and the charge they had."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0005_refillsubmission_claimed_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="cost_basis",
            field=models.CharField(
                blank=True,
                choices=[
                    ("reported", "charge reported by the provider"),
                    ("pro_rata", "charge pro rata to delivery"),
                ],
                max_length=8,
            ),
        ),
    ]
