"""Cell meetings: schedule, preparation, attendance, minutes, votes, tasks, approval."""
