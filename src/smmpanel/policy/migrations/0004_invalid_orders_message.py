"""abuse.invalid_orders words its refusal anew (which rule, what counts, until when, how
to appeal). A stored row still holding the old default messages gets the new ones, as a
new version of the rule; a row staff reworded keeps their words."""

from django.db import migrations
from django.db.models import F

OLD_EN = (
    "{count} invalid orders in {minutes} minutes. Check the service description and "
    "link format before ordering again."
)
OLD_UK = (
    "{count} некоректних замовлень за {minutes} хвилин. Перевірте опис послуги й формат "
    "посилання перед новим замовленням."
)
# Frozen copies of rulebook.INVALID_ORDERS_EN/UK as this migration wrote them.
NEW_EN = (
    "New orders are paused until {until}: {count} refused orders were counted in the last "
    "{minutes} minutes (rule abuse.invalid_orders; a refusal on the web form counts as a "
    "quarter, one over the API as one). Check the service description and the link format "
    "meanwhile. To appeal, open a support ticket."
)
NEW_UK = (
    "Нові замовлення призупинено до {until}: за останні {minutes} хвилин враховано "
    "{count} відхилених замовлень (правило abuse.invalid_orders; відхилення у вебформі "
    "рахується як чверть, через API — як одне). Тим часом перевірте опис послуги й формат "
    "посилання. Щоб оскаржити, відкрийте звернення в підтримку."
)


def reword(apps, schema_editor):
    Rule = apps.get_model("policy", "Rule")
    Rule.objects.filter(code="abuse.invalid_orders", message_en=OLD_EN, message_uk=OLD_UK).update(
        message_en=NEW_EN, message_uk=NEW_UK, version=F("version") + 1
    )


def word_back(apps, schema_editor):
    Rule = apps.get_model("policy", "Rule")
    Rule.objects.filter(code="abuse.invalid_orders", message_en=NEW_EN, message_uk=NEW_UK).update(
        message_en=OLD_EN, message_uk=OLD_UK, version=F("version") + 1
    )


class Migration(migrations.Migration):
    dependencies = [("policy", "0003_unlogged_rate_buckets")]

    operations = [migrations.RunPython(reword, word_back)]
