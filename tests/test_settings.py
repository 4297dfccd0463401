"""Settings from the environment, the embedded database and the translation catalogue."""

from __future__ import annotations

import gettext
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

ROOT = Path(__file__).resolve().parent.parent


# The machine's database settings, left out of the processes that test settings.
DATABASE_VARIABLES = {
    "DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL", "DB_WORK_MEM", "DB_PREPARE_THRESHOLD",
    "DB_REPLICA_PIN_SECONDS", "DB_REPLICA_MAX_LAG",
}  # fmt: skip


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in DATABASE_VARIABLES}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "chibo.settings", **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_secret_key_is_required_when_debug_is_off() -> None:
    result = run_python("import django; django.setup()", DEBUG="false", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


# What the HTTPS settings come to, printed by a process of its own.
HTTPS_SETTINGS = (
    "import django, json; django.setup()\n"
    "from django.conf import settings as s\n"
    "print(json.dumps([s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,\n"
    "    s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER,\n"
    "    s.ALLOWED_HOSTS, s.STORAGES['staticfiles']['BACKEND']]))\n"
)
# Variables of the HTTPS settings that the machine running the tests may have set.
SERVING = {
    "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "BEHIND_PROXY", "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD",
}  # fmt: skip


def served(**env: str) -> list[Any]:
    unset = dict.fromkeys(SERVING - set(env), "")
    result = run_python(HTTPS_SETTINGS, **unset, **env)
    assert result.returncode == 0, result.stderr[-2000:]
    values: list[Any] = json.loads(result.stdout)
    return values


def demo_environment(**env: str) -> dict[str, str]:
    """The variables `make demo` serves the product with, from the Makefile itself."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    result = subprocess.run(  # noqa: S603
        [make, "-s", "--no-print-directory", "--eval", "demo-env: ; @$(DEMO_ENV) env", "demo-env"],
        env={
            **{k: v for k, v in os.environ.items() if k not in SERVING},
            # A key of the test's, so that the demo's own in var/ is neither read nor needed.
            "SECRET_KEY": "demo-test-key-not-a-real-secret-but-long-enough-0123456789abcdef",
            **env,
        },
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    variables = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    return {name: variables[name] for name in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")}


def test_make_demo_serves_with_debug_off_over_plain_http_here() -> None:
    debug, session_secure, csrf_secure, redirect, hsts, proxy, hosts, static = served(
        **demo_environment()
    )
    assert debug is False  # the product's own error pages, not Django's technical ones
    # Plain http on 127.0.0.1: cookies a browser, curl or urllib send back over it.
    assert (session_secure, csrf_secure, redirect, hsts, proxy) == (False, False, False, 0, None)
    assert {"127.0.0.1", "localhost"} <= set(hosts)
    assert static.startswith("whitenoise.")  # the app serves its static files, as in production
    assert served(**demo_environment(DEBUG="true"))[0] is True


def test_secure_cookies_and_the_https_redirect_follow_the_https_settings_not_debug() -> None:
    production = {
        "DEBUG": "false",
        "SECRET_KEY": "test-key-not-a-real-secret-but-long-enough-0123456789abcdef",
        "ALLOWED_HOSTS": "chibo.example",
    }
    # Cookies (session, CSRF), the redirect to HTTPS and HSTS.
    assert served(**production)[1:5] == [False, False, False, 0]
    assert served(**production, BEHIND_PROXY="true")[1:6] == [
        True, True, True, 31536000, ["HTTP_X_FORWARDED_PROTO", "https"],
    ]  # fmt: skip
    assert served(**production, SECURE_SSL_REDIRECT="true")[1:5] == [True, True, True, 31536000]
    assert served(**production, SESSION_COOKIE_SECURE="true")[1:5] == [True, True, False, 0]


def test_an_unknown_address_answers_the_products_own_404_page(client_for) -> None:
    for client in (client_for(None), client_for("bithu1")):
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        assert "404.html" in [t.name for t in response.templates]
        page = response.content.decode()
        assert "Không tìm thấy trang" in page
        assert "Using the URLconf" not in page
        assert 'href="/"' in page  # the way home


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


# The site with one failing page, for the test of the 500 page.
urlpatterns = [path("fail/", fail), path("", include("chibo.urls"))]


@pytest.mark.urls("tests.test_settings")
def test_a_failing_page_answers_the_products_own_500_page(client_for) -> None:
    client = client_for("bithu1")
    client.raise_request_exception = False
    response = client.get("/fail/")
    assert response.status_code == 500
    assert [t.name for t in response.templates] == ["500.html"]
    page = response.content.decode()
    assert "Đã xảy ra lỗi" in page
    assert "a bug" not in page
    assert "Traceback" not in page


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    code = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])\n"
    )
    result = run_python(code, DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "wal"


def test_postgresql_sorts_get_their_memory_unless_left_to_the_server() -> None:
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "print(settings.DATABASES['default'].get('OPTIONS', {}).get('options', ''))\n"
    )
    url = "postgres://chibo@127.0.0.1:5432/chibo"
    assert run_python(code, DATABASE_URL=url).stdout.strip() == "-c work_mem=16MB"
    assert run_python(code, DATABASE_URL=url, DB_WORK_MEM="64MB").stdout.strip() == (
        "-c work_mem=64MB"
    )
    assert run_python(code, DATABASE_URL=url, DB_WORK_MEM="").stdout.strip() == ""


def test_postgresql_prepares_repeated_statements_unless_told_not_to() -> None:
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "o = settings.DATABASES['default'].get('OPTIONS', {})\n"
        "print(o.get('server_side_binding'), o.get('prepare_threshold'))\n"
    )
    url = "postgres://chibo@127.0.0.1:5432/chibo"
    assert run_python(code, DATABASE_URL=url).stdout.strip() == "True 5"
    assert run_python(code, DATABASE_URL=url, DB_PREPARE_THRESHOLD="2").stdout.strip() == ("True 2")
    # Off: parameters bound by the client, as a pooler without prepared statements needs.
    assert run_python(code, DATABASE_URL=url, DB_PREPARE_THRESHOLD="").stdout.strip() == (
        "None None"
    )
    assert run_python(code).stdout.strip() == "None None"
    for wrong in ("0", "-1", "five"):
        result = run_python(code, DATABASE_URL=url, DB_PREPARE_THRESHOLD=wrong)
        assert result.returncode != 0
        assert "DB_PREPARE_THRESHOLD must be a whole number from 1" in result.stderr


def test_a_read_replica_has_the_primarys_options_a_router_and_the_pin() -> None:
    code = (
        "import django, json; django.setup()\n"
        "from django.conf import settings as s\n"
        "r = s.DATABASES.get('replica')\n"
        "print(json.dumps(r and [r['HOST'], r['PORT'], r['ENGINE'], r['OPTIONS'],\n"
        "    r['TEST']['MIRROR'], s.DATABASE_ROUTERS,\n"
        "    [m for m in s.MIDDLEWARE if 'replica' in m]]))\n"
    )
    url = "postgres://chibo@127.0.0.1:5432/chibo"
    standby = "postgres://chibo@10.0.0.2:5433/chibo"
    assert run_python(code, DATABASE_URL=url).stdout.strip() == "null"
    assert json.loads(run_python(code, DATABASE_URL=url, DATABASE_REPLICA_URL=standby).stdout) == [
        "10.0.0.2",
        5433,
        "chibo.lib.postgresql",
        {
            "connect_timeout": 3,
            "options": "-c work_mem=16MB",
            "server_side_binding": True,
            "prepare_threshold": 5,
        },
        "default",
        ["chibo.lib.replica.ReplicaRouter"],
        ["chibo.lib.replica.ReadYourWritesMiddleware"],
    ]
    refused = {
        "DATABASE_REPLICA_URL needs a PostgreSQL DATABASE_URL": {"DATABASE_REPLICA_URL": standby},
        "must name a PostgreSQL standby": {
            "DATABASE_URL": url,
            "DATABASE_REPLICA_URL": "sqlite:///replica.sqlite3",
        },
        "a second less than DB_REPLICA_PIN_SECONDS": {
            "DATABASE_URL": url,
            "DATABASE_REPLICA_URL": standby,
            "DB_REPLICA_MAX_LAG": "10",
        },
    }
    for message, env in refused.items():
        result = run_python(code, **env)
        assert result.returncode != 0
        assert message in result.stderr


def test_defaults_are_vietnamese_and_the_local_time_zone() -> None:
    assert settings.LANGUAGE_CODE == "vi"
    assert [code for code, _ in settings.LANGUAGES] == ["vi", "en"]
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"
    assert settings.USE_TZ


def _po_entries(path: Path) -> dict[str, str]:
    """msgid -> msgstr (the first plural form for plurals) of a .po file."""
    entries: dict[str, str] = {}
    msgid: list[str] = []
    msgstr: list[str] = []
    target: list[str] | None = None
    fuzzy = False

    def flush() -> None:
        if msgid and "".join(msgid):
            entries["".join(msgid)] = "" if fuzzy else "".join(msgstr)

    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            flush()
            msgid, msgstr, target, fuzzy = [], [], None, False
        elif line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("msgid "):
            target = msgid
            target.append(line[6:].strip()[1:-1])
        elif line.startswith(("msgstr ", "msgstr[0] ")):
            target = msgstr
            target.append(line.split(" ", 1)[1].strip()[1:-1])
        elif line.startswith(("msgid_plural", "msgstr[")):
            target = None
        elif line.startswith('"') and target is not None:
            target.append(line.strip()[1:-1])
    return entries


@pytest.mark.parametrize("language", ["vi"])
def test_every_string_is_translated_and_compiled(language: str) -> None:
    folder = ROOT / "chibo" / "locale" / language / "LC_MESSAGES"
    entries = _po_entries(folder / "django.po")
    assert entries
    assert [msgid for msgid, msgstr in entries.items() if not msgstr] == []
    with (folder / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    catalog = compiled._catalog  # type: ignore[attr-defined]
    stale = [
        msgid
        for msgid, msgstr in entries.items()
        if "\\" not in msgid + msgstr and (catalog.get(msgid) or catalog.get((msgid, 0))) != msgstr
    ]
    assert stale == [], "run `make messages` to recompile the catalogue"


def test_pages_carry_a_content_security_policy_without_inline_script(client_for) -> None:
    response = client_for("bithu1").get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (as in CI)")
def test_the_redis_cache_keeps_one_client_and_serves_every_thread() -> None:
    import threading

    from chibo.lib.redis_cache import RedisCache

    cache = RedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": "test-kept-client"})
    client = cache._cache  # type: ignore[attr-defined]
    assert client.get_client() is client.get_client(write=True)
    cache.set("k", {"value": 1})
    answers: list[object] = []
    threads = [threading.Thread(target=lambda: answers.append(cache.get("k"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [{"value": 1}] * 4
    assert cache.add("n", 1)
    assert cache.incr("n") == 2
    cache.delete_many(["k", "n"])
    assert cache.get("k") is None


def _on_postgresql() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


@pytest.mark.skipif(not _on_postgresql(), reason="PostgreSQL only (as in CI)")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_kept_postgresql_connection_is_checked_without_a_round_trip() -> None:
    import time
    from unittest import mock

    import psycopg
    from django.db import close_old_connections, connection
    from django.db.backends.postgresql.base import DatabaseWrapper as DjangoWrapper

    assert settings.DATABASES["default"]["ENGINE"] == "chibo.lib.postgresql"
    connection.ensure_connection()
    assert connection.health_check_enabled  # type: ignore[attr-defined]
    with mock.patch.object(DjangoWrapper, "is_usable", side_effect=AssertionError("SELECT 1")):
        assert connection.is_usable()
    # The server ends the connection, as a restart or a failover would.
    pid = connection.connection.info.backend_pid
    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"], port=params["PORT"] or 5432, user=params["USER"],
        password=params["PASSWORD"], dbname=params["NAME"], autocommit=True,
    ) as other:  # fmt: skip
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not connection.is_usable()
    # The next request works on a new connection: as a request served by a real server
    # begins (the test client leaves this out), then its first query.
    close_old_connections()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert connection.connection.info.backend_pid != pid
