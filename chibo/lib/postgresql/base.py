"""Django's PostgreSQL backend, checking a kept connection without a round trip.

With `CONN_HEALTH_CHECKS`, Django checks a kept connection at the start of each request
with `SELECT 1`: one more round trip on every page, a sixth of the meeting page's. A server
that restarts, fails over or ends an idle session closes the connection, and the closing is
something to read on its socket (a termination notice, or the end of the stream), while an
idle connection that is fine has nothing to read. So the socket is looked at first, and
only a connection with something to read is checked with `SELECT 1` (which then fails, and
Django opens a new one). What neither check can see, a peer gone without closing, shows as
an error on the first query, and Django then closes the connection after the request.

Each cursor it opens also takes the driver's threshold for preparing queries from
`chibo.lib.plans`: none inside `custom_plans()`, the configured one elsewhere.
"""

from __future__ import annotations

import select
from typing import Any

from django.db.backends.postgresql import base

from chibo.lib import plans


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None or self.connection.closed:
            return False
        try:
            pending = _readable(self.connection.fileno())
        except (OSError, ValueError):
            return False
        return bool(super().is_usable()) if pending else True

    def create_cursor(self, name: str | None = None) -> Any:
        # None: psycopg prepares nothing, and runs what it had prepared unprepared.
        threshold = (
            None if plans.wanted() else self.settings_dict["OPTIONS"].get("prepare_threshold")
        )
        if self.connection.prepare_threshold != threshold:
            self.connection.prepare_threshold = threshold
        return super().create_cursor(name)


def _readable(fd: int) -> bool:
    """Whether the socket `fd` has something to read, without waiting."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([fd], [], [], 0)[0])  # (no poll() on Windows)
