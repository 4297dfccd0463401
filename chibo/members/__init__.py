"""Party members: records, statuses and their history."""
