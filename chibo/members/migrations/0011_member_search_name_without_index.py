"""Members: the folded name (`search_name`) loses its two indexes (and the history table
its copies): the name search matches the start of any word of the name, which neither the
btree nor its pattern-ops twin serves, so no query read them (EXPLAIN at national size:
every member read, or those of the reader's cells); they cost 6.5 s of the national seed
and a write on every member saved."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0010_member_indexes_without_pattern_ops"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalmember",
            name="search_name",
            field=models.CharField(editable=False, max_length=120),
        ),
        migrations.AlterField(
            model_name="member",
            name="search_name",
            field=models.CharField(editable=False, max_length=120),
        ),
    ]
