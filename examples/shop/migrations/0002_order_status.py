# Unsafe on purpose: a Django migration adding a NOT NULL column without a default and a
# concurrent index inside the migration's transaction.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [
        migrations.AddField("order", "status", models.CharField(max_length=20)),
        migrations.AddIndexConcurrently("order", models.Index(fields=["status"], name="order_status_ix")),
    ]
