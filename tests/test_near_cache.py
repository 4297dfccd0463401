"""The process's own copy of values that never change under their key."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any
from unittest import mock

from django.core.cache import cache

from chibo.lib import near_cache
from chibo.lib.near_cache import near_clear, near_get, near_set


def shared_reads() -> Any:
    return mock.patch.object(cache, "get", wraps=cache.get)


def test_a_value_kept_here_is_read_without_the_shared_cache() -> None:
    near_set("k", {"html": "<p>x</p>"}, 600)
    with mock.patch.object(cache, "get", side_effect=AssertionError("shared cache read")):
        assert near_get("k") == {"html": "<p>x</p>"}
    assert near_get("other") is None


def test_a_value_kept_by_another_process_is_read_once_from_the_shared_cache() -> None:
    near_set("k", "value", 600)
    near_clear()  # as another process sees it: only in the shared cache
    with shared_reads() as reads:
        assert near_get("k") == "value"
        assert near_get("k") == "value"
    assert reads.call_count == 1


def test_the_copy_here_expires_with_the_shared_one() -> None:
    real = time.time
    # Kept 600 s ago less a third of a second: the shared copy has that third left (as
    # stored; the test's shared cache itself keeps it longer, which shows the difference).
    with mock.patch.object(near_cache, "time", SimpleNamespace(time=lambda: real() - 599.7)):
        near_set("k", "value", 600)
    near_clear()
    with shared_reads() as reads:
        assert near_get("k") == "value"
        assert near_get("k") == "value"
        assert reads.call_count == 1
        time.sleep(0.4)
        assert near_get("k") == "value"  # expired here, read from the shared cache again,
        assert near_get("k") == "value"  # and, expired there too, not kept here
        assert reads.call_count == 3


def test_values_stored_without_their_expiry_are_not_read() -> None:
    cache.set("k", "a value of the old format", 600)
    assert near_get("k") is None
