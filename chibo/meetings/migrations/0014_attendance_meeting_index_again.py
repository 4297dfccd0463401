"""The attendance's index on its meeting alone comes back (0013 dropped it). The meeting
repeats in it, so PostgreSQL stores it deduplicated: 37 MB for the province's 5.2 million
rows against 157 MB for `attendance_once` (meeting, member), which never repeats. With it,
the month-end benchmark ran 4 % more saves a second (four runs each, in turns); the
national seed pays about 15 s for its build.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0013_attendance_meeting_covered_by_attendance_once"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="attendance",
                    name="meeting",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attendance",
                        to="meetings.meeting",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'CREATE INDEX IF NOT EXISTS "meetings_attendance_meeting_id_296f48af"'
                    ' ON "meetings_attendance" ("meeting_id")',
                    reverse_sql='DROP INDEX IF EXISTS "meetings_attendance_meeting_id_296f48af"',
                ),
            ],
        ),
    ]
