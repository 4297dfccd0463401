"""Reading from a PostgreSQL streaming replica (`DATABASE_REPLICA_URL`), where it is safe.

Only code that asks for it reads from the replica: the dashboards, the reports, the exports
and the search, each inside `reads_from_replica()` (a context manager and a view decorator).
Everything else, and every write, goes to the primary: most pages read what they are about
to change, and a replica is a little behind. Without a replica the context changes nothing
(the router is installed only with one, docs/deploy.md).

A user who has just written reads their own writes: a request that may write (any method
but GET, HEAD, OPTIONS and TRACE) reads from the primary throughout, and its answer sets a
signed cookie that keeps the browser's next requests on the primary for
`REPLICA_PIN_SECONDS` (10 s). The cookie, not the process, keeps it, so that any
application host honours it.

The replica is used only while its lag is at most `REPLICA_MAX_LAG` (5 s): a process asks it
at most once a second (one short query), and while it lags more, cannot be reached, or is
cut off from its primary, the context reads from the primary. As the pin outlasts the
largest lag allowed by more than the second between two checks, a write is on the replica
by the time its author's pin ends (`settings.py` refuses values for which it would not be).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponseBase

from chibo.lib.plans import custom_plans

logger = logging.getLogger(__name__)

REPLICA = "replica"
# The pin cookie: signed (with this salt), holding the time until which it pins.
PIN_COOKIE = "chibo_primary"
PIN_SALT = "chibo.lib.replica.pin"
# How often a process asks the replica its lag.
CHECK_SECONDS = 1.0
# Apps whose rows the request machinery reads and then writes back (sessions, lockouts,
# the task queue, second factors): always from the primary, inside the context too.
PRIMARY_ONLY = frozenset(
    {"sessions", "axes", "django_tasks_db", "otp_totp", "otp_static", "django_otp_webauthn"}
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

_reading: ContextVar[bool] = ContextVar("chibo_replica_reading", default=False)
_pinned: ContextVar[bool] = ContextVar("chibo_replica_pinned", default=False)


def configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def reads_from_replica() -> Iterator[None]:
    """Reads inside this block (or the decorated view) may come from the replica. They are
    aggregates over a subtree and a period, so each is also planned for its values, on
    whichever database it reads (`chibo.lib.plans`)."""
    token = _reading.set(True)
    try:
        with custom_plans():
            yield
    finally:
        _reading.reset(token)


@contextmanager
def pinned_to_primary() -> Iterator[None]:
    """Reads inside this block come from the primary, even inside `reads_from_replica()`."""
    token = _pinned.set(True)
    try:
        yield
    finally:
        _pinned.reset(token)


def read_alias() -> str:
    """The database that a read here goes to."""
    if _reading.get() and not _pinned.get() and configured() and replica_usable():
        return REPLICA
    return DEFAULT_DB_ALIAS


# --- the replica's lag, asked at most once a second per process --------------------------------

# 0 when the replica has replayed all it received (an idle primary sends nothing, so the time
# of the last replayed transaction says nothing then); the age of the last replayed
# transaction while it is replaying; NULL when it is cut off from its primary (no WAL
# receiver: it no longer knows how far behind it is). A server that is not a standby (a
# promoted one) has no lag.
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN NOT EXISTS (SELECT FROM pg_stat_wal_receiver) THEN NULL
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())
END
"""


@dataclass(frozen=True)
class Health:
    checked_at: float
    lag: float | None  # seconds; None: not reachable or not streaming

    @property
    def usable(self) -> bool:
        return self.lag is not None and self.lag <= settings.REPLICA_MAX_LAG


_health = Health(checked_at=float("-inf"), lag=None)
_health_lock = threading.Lock()


def measure_lag() -> float | None:
    """The replica's lag in seconds, None when it cannot say or cannot be reached."""
    connection = connections[REPLICA]
    try:
        if connection.vendor != "postgresql":
            return 0.0
        with connection.cursor() as cursor:
            cursor.execute(LAG_SQL)
            row = cursor.fetchone()
    except DatabaseError as error:
        logger.warning("the replica cannot be read, reading from the primary: %s", error)
        connection.close()
        return None
    return None if row is None or row[0] is None else max(0.0, float(row[0]))


def health(*, now: float | None = None) -> Health:
    """The replica's lag as last measured in this process, measured again when older than
    `CHECK_SECONDS` (by one thread; meanwhile the others read from the primary: a measure
    older than that second no longer bounds the lag)."""
    global _health
    now = time.monotonic() if now is None else now
    known = _health
    if now - known.checked_at < CHECK_SECONDS:
        return known
    if not _health_lock.acquire(blocking=False):
        return Health(checked_at=known.checked_at, lag=None)
    try:
        _health = Health(checked_at=now, lag=measure_lag())
        if not _health.usable and _health.lag is not None:
            logger.warning("the replica lags %.1f s, reading from the primary", _health.lag)
        return _health
    finally:
        _health_lock.release()


def replica_usable() -> bool:
    return health().usable


def forget_health() -> None:
    """Measure the lag again at the next read (tests, and after a fail-over)."""
    global _health
    _health = Health(checked_at=float("-inf"), lag=None)


# --- the router --------------------------------------------------------------------------------


class ReplicaRouter:
    """Reads inside `reads_from_replica()` go to the replica (unless pinned, lagging or
    unreachable); all else, writes and migrations to the primary."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        if model._meta.app_label in PRIMARY_ONLY:
            return DEFAULT_DB_ALIAS
        return read_alias()

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: an object read from it may be linked to one
        # read from the primary (and is saved to the primary).
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


# --- read your own writes ----------------------------------------------------------------------


def pinned_by(request: HttpRequest, *, now: float | None = None) -> bool:
    """Whether the request carries a pin cookie that has not run out."""
    value = request.get_signed_cookie(PIN_COOKIE, default=None, salt=PIN_SALT)
    if value is None:
        return False
    try:
        until = float(value)
    except ValueError:
        return False
    return (time.time() if now is None else now) < until


class ReadYourWritesMiddleware:
    """A request that may write reads from the primary throughout, and pins its browser to
    the primary for `REPLICA_PIN_SECONDS` after it; a pinned browser reads from the primary."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        writes = request.method not in SAFE_METHODS
        token = _pinned.set(writes or pinned_by(request))
        try:
            response = self.get_response(request)
        finally:
            _pinned.reset(token)
        if writes:
            seconds = settings.REPLICA_PIN_SECONDS
            response.set_signed_cookie(
                PIN_COOKIE,
                str(int(time.time() + seconds) + 1),
                salt=PIN_SALT,
                max_age=seconds + 1,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
