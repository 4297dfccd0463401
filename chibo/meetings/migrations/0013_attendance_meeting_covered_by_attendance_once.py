"""The attendance's index on its meeting alone goes: `attendance_once` (meeting, member)
serves every lookup by meeting, and each attendance row written kept both up to date.

The index is dropped by name rather than by altering the field, which would also drop and
validate again the foreign key over every attendance row (a full scan of the largest table).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0012_meeting_rules"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="attendance",
                    name="meeting",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attendance",
                        to="meetings.meeting",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "meetings_attendance_meeting_id_296f48af"',
                    reverse_sql='CREATE INDEX "meetings_attendance_meeting_id_296f48af"'
                    ' ON "meetings_attendance" ("meeting_id")',
                ),
            ],
        ),
    ]
