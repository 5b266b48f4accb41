"""Atelier settings: the only module that reads the environment.

Every value comes from an environment variable (SPEC §1). A `.env` file at the repository root, written
by `make setup` with development values, is read first when present and it turns DEBUG on (never under
DEBUG=0 from the environment); real environment variables win. Production is the default: without
`SECRET_KEY` the studio refuses to start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


# --- Environment helpers -------------------------------------------------------------------------


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a KEY=VALUE file (comments and blank lines ignored, optional quotes stripped)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ImproperlyConfigured(f"{path}:{number}: expected KEY=VALUE, got {raw!r}")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def parse_bool(name: str, raw: str | None, default: bool) -> bool:
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"The environment variable {name} must be a boolean (1/0, true/false); got {raw!r}.")


def env_file_applies(file_values: dict[str, str], environ: Mapping[str, str]) -> bool:
    """`.env` is the development file `make setup` writes (issue 14, finding 10): it applies only when it turns
    DEBUG on and the environment doesn't turn it off, so production never takes a development value (a
    SECRET_KEY, ATELIER_TLS=0) from it. The studio.W001 check names what such a file would have set."""
    return parse_bool("DEBUG", environ.get("DEBUG") or file_values.get("DEBUG"), False)


ENV_FILE = Path(os.environ.get("ATELIER_ENV_FILE", BASE_DIR / ".env"))
_env_file_values = read_env_file(ENV_FILE)
ENV_FILE_IGNORED = [] if env_file_applies(_env_file_values, os.environ) else sorted(_env_file_values)
for _key, _value in ({} if ENV_FILE_IGNORED else _env_file_values).items():
    os.environ.setdefault(_key, _value)


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name) or default
    if value is None:
        ignored = f" ({ENV_FILE} sets it but is not read: DEBUG is off)" if name in ENV_FILE_IGNORED else ""
        raise ImproperlyConfigured(
            f"The environment variable {name} is not set{ignored}. Set it, or run `make setup` to write a "
            "development .env file."
        )
    return value


def env_bool(name: str, default: bool) -> bool:
    return parse_bool(name, os.environ.get(name), default)


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"The environment variable {name} must be an integer; got {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"The environment variable {name} must be at least {minimum}; got {value}.")
    return value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


# --- Core ----------------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
VAR_DIR = Path(env_str("ATELIER_VAR_DIR", str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, not a CDN
    "studio",
    "experiments",
    "webservices",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "studio.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "studio.urls"
WSGI_APPLICATION = "studio.wsgi.application"
ASGI_APPLICATION = "studio.asgi.application"
# What studio/asgi.py composes, named here as ROOT_URLCONF names the URLs: the project package imports
# nothing from the apps. The scoring front answers RRS calls before Django; the WebSocket routes are the canvas's.
ASGI_HTTP_FRONT = "webservices.scoring.asgi.with_scoring"
ASGI_WEBSOCKET_ROUTES = "experiments.routing.websocket_urlpatterns"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'atelier.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file (not memory) test database, so the Celery worker process sees what a test wrote; WAL and a
    # busy timeout let the web process and the worker write concurrently without "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-atelier.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, Celery, Channels ---------------------------------------------------------------------

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("ATELIER_TASK_SOFT_TIME_LIMIT", 3600, minimum=1)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
# Celery beat (embedded in the worker, `-B`): retraining schedules are checked every minute.
CELERY_BEAT_SCHEDULE = {"retraining-schedules": {"task": "webservices.schedules_tick", "schedule": 60.0},
                        "dispatch-work": {"task": "studio.dispatch_work", "schedule": 10.0},
                        "reap-stale-runs": {"task": "experiments.reap_stale_runs", "schedule": 10.0},
                        "reap-lost-jobs": {"task": "webservices.reap_lost_jobs", "schedule": 10.0},
                        "prune-request-log": {"task": "webservices.prune_request_log", "schedule": 300.0}}
# A web request that queues a run must not hang on a Redis that is down (the run waits; see studio/workqueue.py).
CELERY_BROKER_CONNECTION_TIMEOUT = 2.0
# State lives in the database; only the health ping waits for a result. Not subscribing to results on every
# send also keeps a send from retrying the result store for ~20 s when Redis is down.
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Priorities 0 (first) to 9: a batch job's chunk and join tasks go after admitted work (studio/workqueue.py).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 60, "priority_steps": [0, 3, 6, 9]}
CELERY_TASK_ALWAYS_EAGER = False

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "capacity": 1000, "expiry": 60},
    }
}

# --- Auth, API -----------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API call gets 401 with a WWW-Authenticate header, not a bare 403. Keys are
        # stored hashed (studio.models.ApiToken), not in DRF's authtoken table.
        "studio.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "studio.api.errors.api_exception_handler",
    "DEFAULT_METADATA_CLASS": "studio.api.errors.OptionsMetadata",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Atelier studio API",
    "DESCRIPTION": "Build, run and publish machine-learning experiments (SPEC §2).",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "/favicon.ico",  # the studio's own (issue 15, item 9)
    "REDOC_DIST": "SIDECAR",  # ReDoc from our static files too (/api/redoc/)
}

# --- Static files and storage --------------------------------------------------------------------

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_ROOT = VAR_DIR / "storage"
STORAGE_URL = env_str("STORAGE_URL", f"file://{MEDIA_ROOT}")


def storage_backend(url: str, *, overwrite: bool = False) -> dict[str, object]:
    """Map STORAGE_URL (file:///dir or s3://bucket?endpoint_url=...) to a Django STORAGES entry. `overwrite`:
    the scratch storage of batch jobs' chunk files (studio/scratch.py), whose saves replace a file of the same
    name instead of looking for a free one; users' files never overwrite."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        files: dict[str, object] = {"location": parts.path, **({"allow_overwrite": True} if overwrite else {})}
        return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": files}
    if parts.scheme == "s3":
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        options: dict[str, object] = {"bucket_name": parts.netloc, "file_overwrite": overwrite, **query}
        backend = "studio.scratch_s3.ScratchS3Storage" if overwrite else "storages.backends.s3.S3Storage"
        return {"BACKEND": backend, "OPTIONS": options}
    raise ImproperlyConfigured(f"STORAGE_URL must start with file:// or s3://; got {url!r}.")


STORAGES = {
    "default": storage_backend(STORAGE_URL),
    "scratch": storage_backend(STORAGE_URL, overwrite=True),  # jobs/<job id>/: the same place, overwriting
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Atelier limits (read at call time through django.conf.settings) -----------------------------

# Issue 14, findings 3 and 5: trained-model packages (.ilearner) and Update Resource's dry run.
ATELIER_MAX_MODEL_BYTES = env_int("ATELIER_MAX_MODEL_BYTES", 512 * 2**20, minimum=2**16)  # the file
ATELIER_MAX_MODEL_UNPACKED_BYTES = env_int("ATELIER_MAX_MODEL_UNPACKED_BYTES", 2**30, minimum=2**16)  # decompressed
ATELIER_MAX_MODEL_RATIO = env_int("ATELIER_MAX_MODEL_RATIO", 200, minimum=10)  # per member larger than 1 MiB
ATELIER_DRY_RUN_SECONDS = env_int("ATELIER_DRY_RUN_SECONDS", 30, minimum=1)  # wall clock and CPU of the child
ATELIER_DRY_RUN_MEMORY_BYTES = env_int("ATELIER_DRY_RUN_MEMORY_BYTES", 2 * 2**30, minimum=2**26)  # beyond the parent's

ATELIER_ALLOW_PYTHON_SCRIPT = env_bool("ATELIER_ALLOW_PYTHON_SCRIPT", False)
ATELIER_MAX_REQUEST_BYTES = env_int("ATELIER_MAX_REQUEST_BYTES", 4 * 1024 * 1024, minimum=1024)
ATELIER_MAX_ROWS_PER_REQUEST = env_int("ATELIER_MAX_ROWS_PER_REQUEST", 1000, minimum=1)
ATELIER_MAX_COLUMNS = env_int("ATELIER_MAX_COLUMNS", 4096, minimum=1)  # columns of an uploaded dataset
ATELIER_BES_CHUNK_ROWS = env_int("ATELIER_BES_CHUNK_ROWS", 50_000, minimum=1)  # rows per batch chunk task
ATELIER_HEALTH_WORKER_TIMEOUT = 2.0
# Issue 14 finding 2 (SSRF): fetches made on a user's behalf (Import Data from a URL; studio/outbound.py).
# Host names and/or address ranges (CIDR) that may be reached although private, loopback or link-local,
# for sites whose data lives on internal servers; empty: only public addresses.
ATELIER_OUTBOUND_ALLOWED_HOSTS = env_list("ATELIER_OUTBOUND_ALLOWED_HOSTS", "")
ATELIER_OUTBOUND_TIMEOUT_SECONDS = env_int("ATELIER_OUTBOUND_TIMEOUT_SECONDS", 300, minimum=1)  # whole fetch
# Issue 14, findings 4 and 5 (SQL): the uid Execute Python Script's sandbox runs scripts as when the worker is
# root, and how large an Apply SQL Transformation result may grow (rows; bytes its values hold) before it stops.
ATELIER_PYTHON_SCRIPT_UID = env_int("ATELIER_PYTHON_SCRIPT_UID", 65534, minimum=1)
ATELIER_SQL_MAX_ROWS = env_int("ATELIER_SQL_MAX_ROWS", 2_000_000, minimum=1)
ATELIER_SQL_MAX_BYTES = env_int("ATELIER_SQL_MAX_BYTES", 1024**3, minimum=1024)
# Threads a large prediction (over 10,000 rows) may use: 1 in web processes, where many share the cores; a
# Celery worker sets it to its share of the cores when it starts (webservices/tasks.py: share_the_cores).
ATELIER_SCORING_THREADS = env_int("ATELIER_SCORING_THREADS", 1)

# Issue 14, findings 5 (storage), 9 and 10 (access): workspace storage limits; sign-in and key throttling.
ATELIER_STORAGE_MAX_FILE_BYTES = env_int("ATELIER_STORAGE_MAX_FILE_BYTES", 512 * 1024 * 1024, minimum=1)
ATELIER_STORAGE_QUOTA_BYTES = env_int("ATELIER_STORAGE_QUOTA_BYTES", 10 * 1024**3, minimum=1)  # per workspace
ATELIER_LOGIN_MAX_FAILURES = env_int("ATELIER_LOGIN_MAX_FAILURES", 5, minimum=1)  # per username
ATELIER_LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("ATELIER_LOGIN_MAX_FAILURES_PER_ADDRESS", 50, minimum=1)
ATELIER_LOGIN_WINDOW_SECONDS = env_int("ATELIER_LOGIN_WINDOW_SECONDS", 900, minimum=1)
ATELIER_LOGIN_LOCKOUT_SECONDS = env_int("ATELIER_LOGIN_LOCKOUT_SECONDS", 900, minimum=1)
ATELIER_KEY_MAX_FAILURES = env_int("ATELIER_KEY_MAX_FAILURES", 30, minimum=1)  # per client address
ATELIER_KEY_WINDOW_SECONDS = env_int("ATELIER_KEY_WINDOW_SECONDS", 60, minimum=1)
ATELIER_KEY_LOCKOUT_SECONDS = env_int("ATELIER_KEY_LOCKOUT_SECONDS", 300, minimum=1)
ATELIER_PROXY_HOPS = env_int("ATELIER_PROXY_HOPS", 0)  # trusted reverse proxies appending X-Forwarded-For
# Issue 17: endpoint keys and workspace authorization tokens are kept encrypted (besides their hash) so that managers
# can read them again. The secrets the encryption key is derived from, newest first: the first encrypts, all decrypt;
# rotate by putting a new one first, running `manage.py reseal_secrets`, then dropping the old one. Empty: SECRET_KEY.
ATELIER_SEALING_SECRETS = env_list("ATELIER_SEALING_SECRETS", "") or [SECRET_KEY]
# Issue 14, finding 5 (helper "misc"): bounded uploads, a bounded request log, a bounded inline scoring path.
# An upload is read in chunks of about this many cells (rows x columns), so memory stays flat for any size.
ATELIER_UPLOAD_CHUNK_CELLS = env_int("ATELIER_UPLOAD_CHUNK_CELLS", 1_000_000, minimum=1000)
# An RRS call is scored on the event loop only with at most this many rows (0: never) and when the service's row
# kernels were measured to score them within this CPU budget; anything else goes to the scoring thread pool.
ATELIER_INLINE_MAX_ROWS = env_int("ATELIER_INLINE_MAX_ROWS", 10)
ATELIER_INLINE_BUDGET_MS = env_int("ATELIER_INLINE_BUDGET_MS", 1, minimum=1)
# The request log (endpoints' DiagnosticsTraceLevel): rows kept this many days, this many MiB in all (oldest
# deleted first), and identical failures of an endpoint within this many seconds counted on one row.
ATELIER_REQUEST_LOG_DAYS = env_int("ATELIER_REQUEST_LOG_DAYS", 7, minimum=1)
ATELIER_REQUEST_LOG_MAX_MB = env_int("ATELIER_REQUEST_LOG_MAX_MB", 256, minimum=1)
ATELIER_REQUEST_LOG_REPEAT_SECONDS = env_int("ATELIER_REQUEST_LOG_REPEAT_SECONDS", 60)
# Issue 20, item 4: an input column is flagged as drifted when the population stability index of what an endpoint
# scored against its training data passes this (in hundredths: 20 is 0.2; by the usual reading 0.1-0.25 is a
# moderate shift, more a large one).
ATELIER_DRIFT_PSI = env_int("ATELIER_DRIFT_PSI_PERCENT", 20, minimum=1) / 100
# Issue 14, findings 6 and 7: the fair work queue and the republisher (studio/workqueue.py). Runs and batch jobs
# a workspace may have sent to the workers at once (the rest wait in the database, oldest first, and go out
# round-robin across workspaces as work ends); seconds a sent task may go unreceived by any worker before it is
# sent again if the broker no longer holds it (lost in a Redis restart).
ATELIER_WORKSPACE_CONCURRENCY = env_int("ATELIER_WORKSPACE_CONCURRENCY", 2, minimum=1)
ATELIER_REPUBLISH_AFTER = env_int("ATELIER_REPUBLISH_AFTER", 15, minimum=1)
# Issue 15, item 2 (helper "errors"): a node's output log (what it printed, warned and logged while it ran) keeps
# at most this many bytes per node; past it the log says it was cut.
ATELIER_NODE_LOG_MAX_BYTES = env_int("ATELIER_NODE_LOG_MAX_BYTES", 256 * 1024, minimum=1024)
# The `admin` superuser's password (manage.py ensure_admin; empty: generated once and kept in var/) and the
# port of `make run` (manage.py runstudio). Read here: settings are the only reader of the environment.
ATELIER_ADMIN_PASSWORD = env_str("ATELIER_ADMIN_PASSWORD", "")
PORT = env_int("PORT", 8000, minimum=1)

# --- Security (production defaults; DEBUG relaxes only what development needs) -------------------

SECURE_TLS = env_bool("ATELIER_TLS", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE_TLS else None
SECURE_SSL_REDIRECT = env_bool("ATELIER_SSL_REDIRECT", SECURE_TLS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = 31536000 if SECURE_TLS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_TLS
SECURE_HSTS_PRELOAD = SECURE_TLS
SESSION_COOKIE_SECURE = SECURE_TLS
CSRF_COOKIE_SECURE = SECURE_TLS
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Nothing inline: scripts and stylesheets come from our own files (elements are positioned through the CSSOM,
# which style-src doesn't govern; charts are told not to inject <style> elements).
ATELIER_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
               "font-src 'self' data:; connect-src 'self' ws: wss:; worker-src 'self' blob:; object-src 'none'; "
               "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")

# --- Logging -------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own handlers would print every record a second time through the root logger.
        "django": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO"), "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
