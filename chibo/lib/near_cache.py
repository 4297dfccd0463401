"""A copy in this process of values that never change under their key.

Some values are kept in the shared cache under a key that changes whenever the value would
(approved minutes, rendered, keyed by their version and seal). Reading one from Redis is a
round trip and the unpickling of tens of kilobytes on every page that shows it (a fifth of
a millisecond, measured on the meeting page); a copy kept in the process (the `near` cache,
Django's local-memory backend) answers in a few microseconds. Each entry carries the time
its shared copy expires, and the near copy expires then too, so a value is never served
longer than it would have been from the shared cache alone.

Only for values that never change under their key: a near copy is not told when the
shared one is deleted or replaced.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache, caches

NEAR = "near"
# Keys of their own, so that a value stored without its expiry is never read as one.
PREFIX = "near:"


def near_get(key: str) -> Any | None:
    """The value kept under `key`, from this process if it has it, else from the shared
    cache (keeping it here until the shared copy expires); None if neither has it."""
    key = PREFIX + key
    near = caches[NEAR]
    entry = near.get(key)
    if entry is None:
        entry = cache.get(key)
        if entry is None:
            return None
        left = entry[0] - time.time()
        if left > 0:
            near.set(key, entry, left)
    return entry[1]


def near_set(key: str, value: Any, seconds: int) -> None:
    """Keep `value` under `key` for `seconds`, in the shared cache and in this process."""
    key = PREFIX + key
    entry = (time.time() + seconds, value)
    cache.set(key, entry, seconds)
    caches[NEAR].set(key, entry, seconds)


def near_clear() -> None:
    """Forget this process's copies (the shared ones stay)."""
    caches[NEAR].clear()
