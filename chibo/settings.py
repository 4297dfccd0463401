"""Settings for chibo, read from environment variables with development defaults.

Every knob is documented in `.env.example`. Rules that differ by province are data in
the database, not settings.
"""

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
VAR_DIR = Path(env_str("CHIBO_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-never-used-in-production-0123456789abcdef"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "treebeard",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "chibo.lib.submissions",
    "chibo.orgs",
    "chibo.members",
    "chibo.meetings",
    "chibo.scoring",
    "chibo.supervision",
    "chibo.content",
    "chibo.development",
    "chibo.reports",
    "chibo.directives",
    "chibo.search",
    "chibo.notifications",
    "chibo.portal",
    "chibo.api",
    "ninja",
    "chibo.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed (a phone on a rural connection: the attendance form is 40 KB of HTML,
    # 5 KB gzipped). Below WhiteNoise, which serves its own precompressed static files.
    # Django's gzip pads each answer by a random length against BREACH, and the CSRF token
    # is masked anew in every page.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "chibo.lib.i18n.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "chibo.lib.http.PrivateCacheMiddleware",
    "chibo.orgs.backends.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "chibo.orgs.twofactor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "chibo.urls"
WSGI_APPLICATION = "chibo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The project's own pages (errors, login) sit above every app; the frame that every
        # page extends (base.html, its links passed in by the portal's context processor)
        # sits below them all, in lib (tests/test_architecture.py).
        "DIRS": [BASE_DIR / "chibo" / "templates", BASE_DIR / "chibo" / "lib" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chibo.portal.context_processors.navigation",
            ],
            "libraries": {
                "richtext": "chibo.lib.richtext",
                "display": "chibo.lib.display",
                "toc": "chibo.lib.toc",
                "panels": "chibo.lib.panels",
            },
        },
    },
]

# Database: SQLite under var/ by default (WAL mode), PostgreSQL through DATABASE_URL.
# Connections are kept for a minute between requests (checked before reuse): opening one
# costs PostgreSQL a few milliseconds per request; behind PgBouncer set DB_CONN_MAX_AGE=0.
DEFAULT_SQLITE_PATH = VAR_DIR / "chibo.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}"),
        conn_max_age=int(env_str("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer writes; IMMEDIATE avoids
        # "database is locked" upgrades from read to write transactions.
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=5000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    if env_bool("SQLITE_WRITER_QUEUE", True):
        # The writers of every process queue for their turn (chibo/lib/sqlite/base.py).
        DATABASES["default"]["ENGINE"] = "chibo.lib.sqlite"

elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_str(
    "DB_WORK_MEM", "16MB"
):
    # Memory per sort or hash of a query. PostgreSQL's 4 MB default made the province
    # dashboard sort its 44,000 cell-months on disk instead of hashing them (43 ms instead
    # of 20). Set DB_WORK_MEM to "" to leave it to the server (behind PgBouncer, which does
    # not pass this option on, set it on the role: ALTER ROLE … SET work_mem = '16MB').
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c work_mem={env_str('DB_WORK_MEM', '16MB')}"
    )
PREPARE_THRESHOLD = env_str("DB_PREPARE_THRESHOLD", "5")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and PREPARE_THRESHOLD:
    # Prepared statements: a kept connection prepares a query after it has run it this many
    # times, and PostgreSQL then skips most of the planning, which is most of what it spends
    # on a cell's page (1.2 of 1.4 ms a query). They need the parameters bound on the server.
    # Subtree filters keep their path in the statement (orgs.models.SubtreeLookup) so that a
    # plan made for a cell is not reused for the province. Set DB_PREPARE_THRESHOLD to ""
    # behind a pooler that shares connections between transactions without tracking prepared
    # statements (PgBouncer in transaction mode before 1.21 or without max_prepared_statements).
    if not PREPARE_THRESHOLD.isdigit() or int(PREPARE_THRESHOLD) < 1:
        # 0 would prepare every statement, and a statement of several commands cannot be.
        raise ImproperlyConfigured("DB_PREPARE_THRESHOLD must be a whole number from 1, or empty.")
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=int(PREPARE_THRESHOLD)
    )
# The few querysets compiled once per process (chibo.lib.statements); off, they are built and
# compiled on every run as any other (CI runs the suite both ways).
CHIBO_STATEMENTS = env_bool("CHIBO_STATEMENTS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with a health check of kept connections that makes no round trip.
    DATABASES["default"]["ENGINE"] = "chibo.lib.postgresql"

# A read replica (docs/deploy.md): a streaming standby of the PostgreSQL primary, with the
# same options. The dashboards, reports, exports and search read from it while it lags at
# most DB_REPLICA_MAX_LAG seconds (chibo.lib.replica); everything else reads from and writes
# to the primary, and a browser that has just written reads from the primary for
# DB_REPLICA_PIN_SECONDS. Its test database is the primary's (a test mirror), which a
# standby holds as soon as it has replayed its creation.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
try:
    REPLICA_PIN_SECONDS = int(env_str("DB_REPLICA_PIN_SECONDS", "10"))
    REPLICA_MAX_LAG = float(env_str("DB_REPLICA_MAX_LAG", "5"))
except ValueError as error:
    raise ImproperlyConfigured("DB_REPLICA_PIN_SECONDS and DB_REPLICA_MAX_LAG: seconds.") from error
if DATABASE_REPLICA_URL:
    # The lag is asked at most once a second: a write is on the replica when its author's
    # pin ends only if the pin outlasts the largest lag allowed by that second.
    if not 0 <= REPLICA_MAX_LAG <= REPLICA_PIN_SECONDS - 1:
        raise ImproperlyConfigured(
            "DB_REPLICA_MAX_LAG must be from 0 to a second less than DB_REPLICA_PIN_SECONDS."
        )
    if DATABASES["default"]["ENGINE"] != "chibo.lib.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs a PostgreSQL DATABASE_URL.")
    replica = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        conn_health_checks=True,
    )
    if replica["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must name a PostgreSQL standby.")
    replica["ENGINE"] = DATABASES["default"]["ENGINE"]
    # An unreachable replica costs a request this long at most (then the primary answers).
    replica["OPTIONS"] = {
        "connect_timeout": 3,
        **DATABASES["default"].get("OPTIONS", {}),
        **replica.get("OPTIONS", {}),
    }
    replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = replica
    DATABASE_ROUTERS = ["chibo.lib.replica.ReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1,
        "chibo.lib.replica.ReadYourWritesMiddleware",
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache and sessions: Redis when REDIS_URL is set, otherwise local memory and the
# database, so that a single machine needs nothing else.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "chibo.lib.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "chibo",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "chibo.orgs.backends.SessionUserBackend",
    # Signing in with a passkey (django-otp-webauthn): members first, staff as an
    # alternative to the password and TOTP.
    "django_otp_webauthn.backends.WebAuthnBackend",
]
# The relying party is the host the browser opened (vetted by ALLOWED_HOSTS):
# chibo.members.passkeys; the settings below only state the public address's own.
OTP_WEBAUTHN_HELPER_CLASS = "chibo.members.passkeys.PasskeyHelper"
OTP_WEBAUTHN_RP_NAME = "chibo"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "login"

# Two-factor login (TOTP): anyone may turn it on; this makes it required for administrators
# and province staff (chibo.orgs.twofactor). Off by default so that the demo opens at once.
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", False)
OTP_TOTP_ISSUER = "chibo"

# Login lockout: five failures lock the username from that address for an hour.
AXES_FAILURE_LIMIT = int(env_str("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Records change through the application's services only (chibo.lib.admin.RecordAdmin):
# the admin shows their history but cannot "revert" to an old version.
SIMPLE_HISTORY_REVERT_DISABLED = True

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "chibo" / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "chibo" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# E-mail (meeting reminders). Without EMAIL_HOST, development prints mails to the console.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(env_str("EMAIL_PORT", "587"))
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "chibo <no-reply@localhost>")
# Text messages (activation codes): the gateway class (chibo.lib.sms); the console prints.
SMS_BACKEND = env_str("SMS_BACKEND", "chibo.lib.sms.ConsoleBackend")
# Accounts made from the roster (chibo.members.accounts): how long an activation code
# holds, and how many wrong codes one address may try in ACTIVATION_WINDOW_MINUTES.
ACTIVATION_CODE_DAYS = int(env_str("ACTIVATION_CODE_DAYS", "14"))
ACTIVATION_FAILURE_LIMIT = int(env_str("ACTIVATION_FAILURE_LIMIT", "10"))
ACTIVATION_WINDOW_MINUTES = 60
# The address people use, for links in e-mails sent by scheduled commands.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
OTP_WEBAUTHN_RP_ID = urlsplit(SITE_URL).hostname or "localhost"
OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"{urlsplit(SITE_URL).scheme}://{urlsplit(SITE_URL).netloc}"]
# The development address is plain http (a browser treats 127.0.0.1 as secure); production
# redirects everything to https (SECURE_SSL_REDIRECT), and the helper takes the origin
# the browser used.
SILENCED_SYSTEM_CHECKS = ["otp_webauthn.E031"]

# Web Push to the phones that allow it (chibo.notifications.push): the VAPID key pair of
# this site (`vapid --gen` of py-vapid makes one; the public key base64url-encoded, the
# private key as a PEM file path or base64url DER) and a contact for the push services.
# Without keys push is off.
VAPID_PUBLIC_KEY = env_str("VAPID_PUBLIC_KEY")
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY")
VAPID_SUBJECT = env_str("VAPID_SUBJECT", "mailto:admin@localhost")

TASKS = {
    "default": {
        "BACKEND": env_str("TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Production hardening; `chibo check --deploy` is clean with DEBUG off behind a TLS proxy.
# HTTPS (the redirect, secure-only cookies, HSTS) follows how the site is served, not DEBUG:
# `make demo` runs with DEBUG off over plain http on this machine, where secure-only cookies
# would make logging in impossible. Behind a TLS proxy (BEHIND_PROXY) or with
# SECURE_SSL_REDIRECT every one of them is on unless turned off by its own setting.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", BEHIND_PROXY)
served_over_https = BEHIND_PROXY or SECURE_SSL_REDIRECT
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", served_over_https)
# The CSRF cookie goes with the session cookie: forms need both, over the same scheme.
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Empty (as in .env.example) is the default, as for every other setting.
SECURE_HSTS_SECONDS = int(
    env_str("SECURE_HSTS_SECONDS") or ("31536000" if served_over_https else "0")
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = 60 * 60 * 12

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Called with a member whose leadership flag changed, inside the change's transaction: the
# meetings' rollups (app above `members`) count leaders by the members' current flag.
CHIBO_LEADERSHIP_CHANGED = ["chibo.meetings.stats.leadership_changed"]
# Reminders that apps above `meetings` add to `chibo send_reminders`.
CHIBO_REMINDER_SOURCES = ["chibo.supervision.reminders.overdue_report_reminders"]
# Public holidays (ISO dates) skipped when counting working days (the probation clock).
CHIBO_HOLIDAYS = env_list("CHIBO_HOLIDAYS")
# Requests per API token ("number/s|m|h|d"); beyond it the API answers 429 with Retry-After.
CHIBO_API_RATE = env_str("CHIBO_API_RATE", "600/m")
# What apps add to the pages of the apps below them (chibo.lib.panels): slot (declared by
# the lower app's template, `{% panels "slot" object %}`) → the panels shown there, in order.
CHIBO_PANELS = {
    # A meeting's page and its preparation page: the month's materials, the thematic topic.
    "meetings.meeting": [
        "chibo.content.panels.MEETING_MATERIALS",
        "chibo.content.panels.MEETING_TOPIC",
    ],
    # The meeting page's quality section: the score sheet and its confirmation.
    "meetings.meeting.quality": ["chibo.scoring.panels.MEETING_SCORE"],
    # The meeting page's upper-level attendees: their observations.
    "meetings.meeting.visitors": ["chibo.supervision.panels.MEETING_VISITS"],
    # A cell's meeting list: the cell's scorecard of the year.
    "meetings.cell_meetings": ["chibo.scoring.panels.CELL_SCORECARD"],
    # A member's page, among its actions: the member's annual classification.
    "members.member.actions": ["chibo.scoring.panels.MEMBER_RATING"],
    # The province's scoring rules: the other half of its settings (visit quotas).
    "scoring.rules": ["chibo.supervision.panels.SUPERVISION_RULES"],
}
# The minimum length of a meeting is a scoring setting of the province (scoring app, above
# `meetings`): the calendars ask this function for a meeting without recorded times.
CHIBO_MEETING_MINUTES = "chibo.scoring.services.minimum_minutes"
# Evidence that apps above `scoring` add to the annual classification pages, each called
# with the reader (user, unit, member, year) and filtering through its own access layer.
CHIBO_RATING_EVIDENCE = ["chibo.supervision.evidence.rating_evidence"]
# Who may see the discipline of a unit or member (user, unit, member): the rating's
# "disciplined" mark, written by supervision, is shown only to them.
CHIBO_DISCIPLINE_VISIBLE = "chibo.supervision.access.sees_discipline"

# Content-Security-Policy (django-csp): scripts, styles and everything else from this site
# only; no inline script or style, no eval, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
