"""Settings, read from the environment (DESIGN §7).

Every value has a safe default for local development except the ones that make
a deployment insecure: with DEBUG off, SECRET_KEY and ALLOWED_HOSTS must be set.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

# Django's own bar for a key that resists guessing (security.W009): long and varied.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (and ALLOWED_HOSTS) for a deployment, "
            "or DEBUG=true for local development."
        )
    SECRET_KEY = "insecure-local-development-key-never-use-in-production"
elif not DEBUG and (
    len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH
    or len(set(SECRET_KEY)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
    or SECRET_KEY.startswith("django-insecure-")
):
    raise ImproperlyConfigured(
        f"SECRET_KEY is too weak: use at least {SECRET_KEY_MIN_LENGTH} random characters, "
        'e.g. python -c "import secrets; print(secrets.token_urlsafe(50))".'
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS is empty. Set ALLOWED_HOSTS to the host names the service answers "
            "to (comma-separated), or DEBUG=true for local development."
        )
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]

# HTTPS. A deployment sits behind a TLS-terminating reverse proxy (docs/operations.md),
# which says the original scheme in a header, e.g. HTTP_X_FORWARDED_PROTO,https. Only
# set it when the proxy always overwrites that header: a client could otherwise claim
# https. With DEBUG off every setting below defaults to the strict value that
# `manage.py check --deploy` asks for.
SECURE_PROXY_SSL_HEADER = tuple(env.list("SECURE_PROXY_SSL_HEADER", default=[])) or None
if SECURE_PROXY_SSL_HEADER is not None and len(SECURE_PROXY_SSL_HEADER) != 2:
    raise ImproperlyConfigured(
        "SECURE_PROXY_SSL_HEADER must be a header and a value, e.g. HTTP_X_FORWARDED_PROTO,https"
    )
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe over plain HTTP; paths here have no leading slash.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "simple_history",
    "directory",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

# DATABASE_URL unset means the embedded SQLite file in the project folder;
# postgres://user@host:5432/name uses PostgreSQL through psycopg 3.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A persistent connection is checked before each request reuses it, so the
# service recovers by itself when the database comes back after an outage.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# What the app sets on each PostgreSQL connection (as SHOW prints it); reasons below.
POSTGRESQL_SESSION = {
    "jit": "off",
    "work_mem": "16MB",
    "random_page_cost": "1.1",
    "max_parallel_workers_per_gather": "0",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    options = DATABASES["default"].setdefault("OPTIONS", {})
    # An unreachable server fails a request in seconds (503) instead of holding a worker.
    options.setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5))
    # The search statements are short; JIT compiling them cost more than it saved
    # (docs/performance.md), and the distance sorts spill to disk at the default work_mem.
    # The directory's tables and indexes are meant to stay in memory (shared_buffers,
    # docs/operations.md), where a random read costs about what a sequential one does:
    # at the default random_page_cost (4) PostgreSQL read every published facility row
    # for a text search rather than its GIN index. Parallel query is off: the app serves
    # many short requests at once, one per worker, and on two cores a search's parallel
    # workers took the other requests' CPU and ran most counts slower than one process
    # merging two indexes did. A DATABASE_URL with ?options= replaces all four.
    options.setdefault(
        "options", " ".join(f"-c {name}={value}" for name, value in POSTGRESQL_SESSION.items())
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Covering indexes (INCLUDE columns) are a PostgreSQL speed-up; SQLite creates the same
# indexes with their key columns only, which is what this warning says.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/Los_Angeles"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
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

# A listing needs verification when a curator has not confirmed it for this long.
STALE_AFTER_DAYS = env.int("STALE_AFTER_DAYS", default=180)

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
# Browsers read; integrations write from servers, with a token (no CORS involved).
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_URLS_REGEX = r"^/(api/|healthz).*$"
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After"]

# Anonymous requests per client address, e.g. 300/min; "none" disables throttling.
ANON_THROTTLE_RATE = env.str("ANON_THROTTLE_RATE", default="300/min")

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # Token first: an anonymous write is answered 401 with WWW-Authenticate: Token.
    # Token requests need no CSRF token; session requests (the browsable API) do.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": ["directory.api.backends.SearchFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "directory.api.pagination.DirectoryPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["directory.api.throttling.AnonymousRateThrottle"],
    "EXCEPTION_HANDLER": "directory.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # How many reverse proxies in front of the app append to X-Forwarded-For: the throttle
    # takes the client address that many hops from the end. 0 (no proxy) ignores the
    # header, which a client could otherwise forge to escape the throttle.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}

CACHES = {
    "default": env.cache_url("CACHE_URL", default="locmemcache://"),
}
# How long an anonymous search answer may be served from the cache (directory.api.cache);
# any write to the directory makes the cached answers unreachable at once. 0: no cache.
API_CACHE_SECONDS = env.int("API_CACHE_SECONDS", default=600)

SPECTACULAR_SETTINGS = {
    "TITLE": "LA Care Directory API",
    "DESCRIPTION": (
        "Mental-health care in Los Angeles County by level of care, place, schedule, "
        "language and payment. Reads are anonymous; curators write facilities with a token "
        "(`Authorization: Token …`) and `If-Match`. See DESIGN §5 for the contract."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "directory.api.openapi.document_errors",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
