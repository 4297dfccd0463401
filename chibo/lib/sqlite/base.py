"""Django's SQLite backend, with the writers of every process waiting in one queue.

SQLite lets one writer in at a time. A writer that finds the database taken sleeps and
tries again (its busy handler: 1, 2, 5 … up to 100 ms between tries), so at a month's end,
with many secretaries saving at once, a writer can keep missing its turn to writers that
came later: the month-end benchmark saw saves wait 2 to 3.5 s (p99) and some give up after
the 5 s busy timeout ("database is locked"). Here each transaction first takes an
exclusive lock on a file beside the database (flock), which the kernel hands on as soon
as it is released, and only then `BEGIN IMMEDIATE`: the writers of all the application's
processes and threads queue there instead of polling. Reads are not queued (WAL).

A transaction holds the lock until it commits or rolls back (or its connection closes,
or its process ends: the kernel releases it). A writer stuck inside a transaction keeps
the others waiting, as it keeps SQLite's own lock; the server's worker timeout ends it.
Off with SQLITE_WRITER_QUEUE=false; databases in memory (the tests') have no file to lock.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queue_fd: int | None = None
        self._queued = False

    def _queue_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        if self.is_in_memory_db() or not name:
            return None
        return f"{name}-writers"

    def _take_turn(self) -> None:
        path = self._queue_path()
        if path is None:
            return
        if self._queue_fd is None:
            # One open file per connection (so per thread): flock excludes open files,
            # so that threads of one process queue too.
            self._queue_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._queue_fd, fcntl.LOCK_EX)
        self._queued = True

    def _end_turn(self) -> None:
        if self._queued and self._queue_fd is not None:
            self._queued = False
            fcntl.flock(self._queue_fd, fcntl.LOCK_UN)

    def _start_transaction_under_autocommit(self) -> None:
        self._take_turn()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._end_turn()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._end_turn()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._end_turn()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._end_turn()
            if self._queue_fd is not None:
                os.close(self._queue_fd)
                self._queue_fd = None
