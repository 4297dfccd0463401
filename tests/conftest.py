"""The cast: the demo accounts of the small demo province plus an outsider, built once
per test session in the test database; every test then runs inside a transaction."""

from __future__ import annotations

import io
import os
from typing import Any

import hypothesis
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings

# A fast hasher: the suite logs in often and proves nothing about PBKDF2.
override_settings(
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    # Background tasks run at once, in the test's own transaction.
    TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
).enable()

# Property-based tests run the same examples on every machine, so that CI is repeatable;
# HYPOTHESIS_EXPLORE=1 draws new ones (FUZZ_EXAMPLES=20 for more per form) to look for bugs.
hypothesis.settings.register_profile("chibo", derandomize=True, deadline=None, database=None)
hypothesis.settings.register_profile("explore", deadline=None)
hypothesis.settings.load_profile("explore" if os.environ.get("HYPOTHESIS_EXPLORE") else "chibo")

# The sweeps: each walks every page, form or role, or starts servers and processes. They
# carry the `slow` mark, which `make quicktest` leaves out (`make test` and CI run them).
SLOW = (
    "tests/browser/",
    "tests/test_access_matrix.py",
    "tests/test_bench.py",
    "tests/test_content_probes.py",
    "tests/test_crash.py",
    "tests/test_crawler.py",
    "tests/test_fuzz.py",
    "tests/test_hostile_input.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = config.rootpath
    for item in items:
        if item.path.relative_to(root).as_posix().startswith(SLOW):
            item.add_marker(pytest.mark.slow)


CAST = [
    "admin",
    "bantochuc",
    "kiemtra",
    "uyvien1",
    "tocongtac1",
    "bithu1",
    "bithu2",
    "dangvien1",
    "outsider",
]
SEED = 7


def build_cast() -> None:
    """Seed the small province and add a user who holds no grant at all."""
    call_command("seed", size="small", random_seed=SEED, stdout=io.StringIO())
    get_user_model().objects.create_user("outsider", password="chibo-demo")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        build_cast()


@pytest.fixture
def cast(db: None) -> dict[str, User]:
    users = get_user_model().objects.filter(username__in=CAST)
    return {user.username: user for user in users}


@pytest.fixture
def client_for(cast: dict[str, User]):
    """client_for("bithu1") is a test client logged in as that cast member."""

    def make(username: str | None) -> Client:
        client = Client()
        if username is not None:
            client.force_login(cast[username])
        return client

    return make


@pytest.fixture
def tuyengiao(cast: dict[str, User]) -> User:
    """Province propaganda staff (not in the cast: the access matrix leaves them out)."""
    from chibo.orgs.models import RoleGrant, Unit
    from chibo.orgs.permissions import Role, Scope

    user = User.objects.create_user("tuyengiao_t", password="chibo-demo")
    RoleGrant.objects.create(
        user=user, unit=Unit.objects.get(code="LV"), role=Role.PROPAGANDA, scope=Scope.SUBTREE
    )
    return user


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: rendered minutes are kept by meeting id and
    version, which a rolled-back test can hand to the next one's meeting."""
    from django.core.cache import cache

    cache.clear()
