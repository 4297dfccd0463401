"""Members: the card number, the citizen ID and the sort key lose the pattern-ops
indexes (`varchar_pattern_ops`, for LIKE) that PostgreSQL made for them, which no query
uses; the history table loses its copies of their indexes, which no query reads."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0009_personnel_votes"),
        ("orgs", "0006_national_unit_kind"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalmember",
            name="card_number",
            field=models.CharField(
                blank=True, max_length=20, null=True, verbose_name="party card number"
            ),
        ),
        migrations.AlterField(
            model_name="historicalmember",
            name="citizen_id",
            field=models.CharField(
                blank=True, max_length=12, null=True, verbose_name="citizen ID number"
            ),
        ),
        migrations.AlterField(
            model_name="historicalmember",
            name="sort_key",
            field=models.CharField(editable=False, max_length=400),
        ),
        migrations.AlterField(
            model_name="member",
            name="card_number",
            field=models.CharField(
                blank=True, max_length=20, null=True, verbose_name="party card number"
            ),
        ),
        migrations.AlterField(
            model_name="member",
            name="citizen_id",
            field=models.CharField(
                blank=True, max_length=12, null=True, verbose_name="citizen ID number"
            ),
        ),
        migrations.AlterField(
            model_name="member",
            name="sort_key",
            field=models.CharField(editable=False, max_length=400),
        ),
        migrations.AddIndex(
            model_name="member",
            index=models.Index(fields=["sort_key"], name="member_sort_key_idx"),
        ),
        migrations.AddConstraint(
            model_name="member",
            constraint=models.UniqueConstraint(
                fields=("card_number",), name="member_card_number_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="member",
            constraint=models.UniqueConstraint(
                fields=("citizen_id",), name="member_citizen_id_unique"
            ),
        ),
    ]
