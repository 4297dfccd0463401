"""The SQLite writers' queue (chibo/lib/sqlite/base.py): a transaction takes its turn on a
file beside the database before `BEGIN IMMEDIATE` and gives it back when it commits, rolls
back or closes; reads and databases in memory are left alone."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections, transaction
from django.db.utils import OperationalError

from chibo.lib.sqlite.base import DatabaseWrapper

pytestmark = pytest.mark.django_db

ALIAS = "queue-test"
Database = tuple[DatabaseWrapper, Path]


def turn_taken(path: Path) -> bool:
    """Whether someone holds the writers' turn (tried from an open file of our own)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def on_file(path: Path) -> DatabaseWrapper:
    settings = dict(connections["default"].settings_dict, NAME=str(path))
    # SQLite's own wait a writer gives up after, far shorter than the other's turn below:
    # a writer that waits longer waits in the queue.
    settings["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 0.05}
    return DatabaseWrapper(settings, alias=ALIAS)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    if connections["default"].vendor != "sqlite":
        pytest.skip("the queue is SQLite's")
    wrapper = on_file(tmp_path / "chibo.sqlite3")
    connections[ALIAS] = wrapper
    with wrapper.cursor() as cursor:
        cursor.execute("CREATE TABLE note (text TEXT)")
    yield wrapper, tmp_path / "chibo.sqlite3-writers"
    wrapper.close()
    del connections[ALIAS]


def test_a_transaction_holds_the_turn_until_it_commits(database: Database) -> None:
    wrapper, queue = database
    with transaction.atomic(using=ALIAS):
        wrapper.cursor().execute("INSERT INTO note VALUES ('một')")
        assert turn_taken(queue)
    assert not turn_taken(queue)
    # Reads outside a transaction do not queue.
    assert wrapper.cursor().execute("SELECT COUNT(*) FROM note").fetchone() == (1,)
    assert not turn_taken(queue)


def test_the_turn_is_given_back_on_rollback_and_on_close(database: Database) -> None:
    wrapper, queue = database
    held = []

    def fail() -> None:
        with transaction.atomic(using=ALIAS):
            wrapper.cursor().execute("INSERT INTO note VALUES ('hai')")
            held.append(turn_taken(queue))
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fail()
    assert held == [True]
    assert not turn_taken(queue)
    assert wrapper.cursor().execute("SELECT COUNT(*) FROM note").fetchone() == (0,)
    transaction.atomic(using=ALIAS).__enter__()
    assert turn_taken(queue)
    wrapper.close()  # a connection closed inside its transaction
    assert not turn_taken(queue)


def test_a_second_writer_waits_for_the_first_to_commit(database: Database) -> None:
    wrapper, _queue = database
    entered, done = threading.Event(), threading.Event()
    failed: list[BaseException] = []

    def write() -> None:
        second = on_file(Path(wrapper.settings_dict["NAME"]))
        try:
            second.ensure_connection()
            second._start_transaction_under_autocommit()
            entered.set()
            second.cursor().execute("INSERT INTO note VALUES ('ba')")
            second.commit()
        except BaseException as error:
            failed.append(error)
        finally:
            second.close()
            done.set()

    with transaction.atomic(using=ALIAS):
        wrapper.cursor().execute("INSERT INTO note VALUES ('hai')")
        writer = threading.Thread(target=write)
        writer.start()
        # The second writer waits for its turn, longer than SQLite's busy timeout, and
        # does not fail.
        assert not entered.wait(0.5)
    assert done.wait(10)
    writer.join()
    assert not failed
    assert wrapper.cursor().execute("SELECT COUNT(*) FROM note").fetchone() == (2,)


def test_databases_in_memory_have_no_queue() -> None:
    wrapper = DatabaseWrapper(
        dict(connections["default"].settings_dict, NAME=":memory:"), alias="memory"
    )
    assert wrapper._queue_path() is None


def test_a_writer_that_cannot_begin_gives_back_its_turn(database: Database) -> None:
    wrapper, queue = database
    wrapper.ensure_connection()
    wrapper.connection.execute("BEGIN")  # a transaction SQLite's own module began
    with pytest.raises(OperationalError), transaction.atomic(using=ALIAS):
        pass
    wrapper.connection.execute("ROLLBACK")
    assert not turn_taken(queue)
