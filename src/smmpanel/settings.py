"""Settings, all chosen by environment variables (see README, "Configuration").

The embedded default needs nothing: SQLite under ``DATA_DIR`` and Huey's SQLite
storage beside it. Production sets ``DATABASE_URL=postgres://…`` and ``REDIS_URL``.
"""

import os
from pathlib import Path

import environ
from csp.constants import NONE, SELF

from smmpanel.configuration.env import ENV_NAMES as PANEL_SETTINGS_ENV_NAMES
from smmpanel.database_url import database_from_url
from smmpanel.deploy_checks import (
    CONSOLE_EMAIL_BACKEND,
    DEVELOPMENT_SECRET_KEY,
    SMTP_EMAIL_BACKEND,
    UNCONFIGURED_EMAIL_BACKEND,
)

BASE_DIR = Path(__file__).resolve().parent
env = environ.Env()

# Named here, made by the commands that write there (smmpanel/data_dir.py).
DATA_DIR = Path(env.str("DATA_DIR", default=str(Path.cwd() / "data")))

DEBUG = env.bool("DEBUG", default=False)
# The default is public: `check --deploy` fails on it with DEBUG=false (deploy_checks.py).
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
# Earlier keys, comma-separated, while rotating SECRET_KEY: sessions signed and secrets
# sealed (smmpanel.sealing) under them still open.
SECRET_KEY_FALLBACKS = [
    k.strip() for k in env.list("SECRET_KEY_FALLBACKS", default=[]) if k.strip()
]
# Keyed hash for API keys; separate so rotating SECRET_KEY (sessions) keeps API keys valid.
API_KEY_PEPPER = env.str("API_KEY_PEPPER", default=SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_NAME = env.str("SITE_NAME", default="SMM Panel")
REDIS_URL = env.str("REDIS_URL", default="")
CURRENCY = env.str("CURRENCY", default="USD")
# Payments (billing/gateways.py): enabled gateways in display order; the manual one is a
# bank transfer whose deposits staff confirm. Amounts in the panel's currency.
PAYMENT_GATEWAYS = env.list("PAYMENT_GATEWAYS", default=["manual"])
# Where the stripe library sends its calls (a local fake Stripe in tests).
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
STRIPE_CHECKOUT_ORIGIN = env.str("STRIPE_CHECKOUT_ORIGIN", default="https://checkout.stripe.com")
# LiqPay (Ukrainian acquiring): its API and checkout origin.
LIQPAY_BASE = env.str("LIQPAY_BASE", default="https://www.liqpay.ua")
# LiqPay's test mode: its "sandbox" status (a test card, no money) is credited only when on.
LIQPAY_SANDBOX = env.bool("LIQPAY_SANDBOX", default=False)
# NOWPayments (crypto): its REST API, and the origin of its payment page.
NOWPAYMENTS_API_BASE = env.str("NOWPAYMENTS_API_BASE", default="https://api.nowpayments.io")
NOWPAYMENTS_CHECKOUT_ORIGIN = env.str(
    "NOWPAYMENTS_CHECKOUT_ORIGIN", default="https://nowpayments.io"
)
PAYMENT_NOTIFICATION_MAX_BYTES = env.int("PAYMENT_NOTIFICATION_MAX_BYTES", default=65536)
PAYMENT_NOTIFICATIONS_PER_MINUTE = env.int("PAYMENT_NOTIFICATIONS_PER_MINUTE", default=120)
MANUAL_PAYMENT_INSTRUCTIONS = env.str("MANUAL_PAYMENT_INSTRUCTIONS", default="")
MIN_DEPOSIT = env.str("MIN_DEPOSIT", default="1.00")
MAX_DEPOSIT = env.str("MAX_DEPOSIT", default="10000.00")

INSTALLED_APPS = [
    "smmpanel.staff.apps.AdminSiteConfig",  # django.contrib.admin with the staff rules
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # intcomma: counts grouped the reader's way
    "huey.contrib.djhuey",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "smmpanel.accounts",
    "smmpanel.catalog",
    "smmpanel.billing",
    "smmpanel.orders",
    "smmpanel.providers",
    "smmpanel.fulfilment",
    "smmpanel.policy",
    "smmpanel.support",
    "smmpanel.content",
    "smmpanel.currencies",
    "smmpanel.notifications",
    "smmpanel.configuration",
    "smmpanel.audit",
    "smmpanel.staff",
    "smmpanel.api",
    "smmpanel.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside the machine endpoints' shortcut, so API answers carry this header too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Before everything that costs: a request the process has no room for is answered at
    # once (smmpanel/load_shedding.py), still with the two middlewares' headers.
    "smmpanel.load_shedding.LoadSheddingMiddleware",
    "smmpanel.api.middleware.MachineEndpointMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "smmpanel.web.middleware.UserLanguageMiddleware",
    "smmpanel.web.middleware.UserTimezoneMiddleware",
]

# Panel settings the owner may store on /staff/settings/ unless the environment sets
# them (smmpanel/configuration): which of those variables the environment sets.
PANEL_SETTINGS_FROM_ENV = frozenset(PANEL_SETTINGS_ENV_NAMES & set(os.environ))

ROOT_URLCONF = "smmpanel.urls"
WSGI_APPLICATION = "smmpanel.wsgi.application"
# /api/v2 must never redirect (a redirected POST loses its body); both spellings are routed.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project-level overrides (allauth layouts) win over the apps' own templates.
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "smmpanel.web.context.site",
            ],
        },
    }
]

# PostgreSQL or an SQLite file; any other URL stops the start with the reason.
DATABASES = {
    "default": database_from_url(
        env.str("DATABASE_URL", default=""), default_sqlite_file=str(DATA_DIR / "smmpanel.sqlite3")
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer; IMMEDIATE makes concurrent writers queue
    # on busy_timeout instead of failing with "database is locked" at upgrade time.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory: tests start real server and worker processes on the test DB.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test_smmpanel.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # Django's PostgreSQL backend whose health check reads the socket's state instead of
    # sending SELECT 1 before every request (smmpanel/postgresql_backend).
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "smmpanel.postgresql_backend"
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A server that does not answer fails a connection in seconds instead of hanging a
    # request (and /health/ready) on the operating system's TCP timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        # Parameters bound by the server, and statements a connection runs again and
        # again (every hot path) prepared once: PostgreSQL stops parsing them per
        # request, and after five runs keeps a generic plan when it is no costlier
        # (planning was half of PostgreSQL's time on an order). Searches, whose plan
        # depends on what is searched, are planned per run (smmpanel.query_plans).
        # Off behind a transaction-pooling PgBouncer, which cannot keep a prepared
        # statement on the connection that made it.
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True,
            prepare_threshold=5,
        )
DATABASES["default"]["ATOMIC_REQUESTS"] = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "account_login"

# Accounts: django-allauth (email login, login rate limits, TOTP + recovery codes).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="none")
ACCOUNT_ADAPTER = "smmpanel.accounts.adapter.AccountAdapter"
MFA_ADAPTER = "smmpanel.accounts.adapter.MFAAdapter"  # TOTP secrets sealed at rest
ACCOUNT_FORMS = {
    "signup": "smmpanel.web.forms_account.SignupForm",
    "login": "smmpanel.web.forms_account.LoginForm",
    "reset_password": "smmpanel.web.forms_account.ResetPasswordForm",
}
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
# Failed logins: per IP, and per account *and* address (the adapter puts the address in
# allauth's key), so failures from elsewhere never lock an account for its owner. Per
# account across addresses only the higher ceilings below count: 30 an hour, 100 (the
# design's cap) for an account with a TOTP authenticator, whose password alone opens
# nothing (smmpanel/accounts/adapter.py). The MFA code step counts under "login_failed"
# too, per account (allauth's own key).
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("LOGIN_FAILED_LIMIT", default="10/m/ip,5/5m/key"),
    "login_failed_account": env.str("LOGIN_FAILED_ACCOUNT_LIMIT", default="30/h/key"),
    "login_failed_totp_account": env.str("LOGIN_FAILED_TOTP_ACCOUNT_LIMIT", default="100/h/key"),
}
# The client address every per-IP limit counts by (API invalid keys, API key IP spread,
# the login limits above; smmpanel/client_ip.py). TRUSTED_PROXY_COUNT is how many reverse
# proxies the operator runs in front of the panel (nginx, a load balancer, a CDN).
# 0 (default): the client is the peer address, REMOTE_ADDR, and X-Forwarded-For is
# ignored, since anyone can send it. N: the client is the Nth X-Forwarded-For entry from
# the right (each trusted proxy appends the address it was reached from); entries further
# left are the client's own and never read. Set it to exactly the number of proxies and
# let nothing reach the panel around them: set too high, clients choose their address.
TRUSTED_PROXY_COUNT = max(0, env.int("TRUSTED_PROXY_COUNT", default=0))
# allauth's own setting, kept equal for any allauth code that reads it; its rate limits
# ask the account adapter, whose get_client_ip is smmpanel/client_ip.py.
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Staff pages (and so every back-office action) need a TOTP authenticator on the account.
STAFF_REQUIRE_2FA = env.bool("STAFF_REQUIRE_2FA", default=True)
MFA_TOTP_ISSUER = env.str("SITE_NAME", default="SMM Panel")

AUTHENTICATION_BACKENDS = ["smmpanel.policy.auth.PolicyAuthBackend"]
# allauth's login rate limits count in the cache: shared by processes only with a shared
# cache (Redis in production); the database cache works everywhere.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache"}
    )
}
# Operator hooks that may tell whether a target is public (see policy/link_checkers.py).
POLICY_LINK_CHECKERS = env.list("POLICY_LINK_CHECKERS", default=[])
# How long a process may serve rule rows and the deny list from memory (policy/rule_cache.py).
POLICY_CACHE_SECONDS = env.float("POLICY_CACHE_SECONDS", default=5.0)
# How long a process may serve the API's services list from memory (api/service_list.py).
CATALOG_CACHE_SECONDS = env.float("CATALOG_CACHE_SECONDS", default=5.0)
# A service's "Average time" (services list, New order): the mean time from placing to
# completion of the panel's own orders completed in the last AVERAGE_TIME_DAYS days,
# recomputed hourly by the worker; below AVERAGE_TIME_MIN_ORDERS orders it says
# "not enough data".
AVERAGE_TIME_DAYS = env.int("AVERAGE_TIME_DAYS", default=30)
AVERAGE_TIME_MIN_ORDERS = env.int("AVERAGE_TIME_MIN_ORDERS", default=5)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("uk", "Українська"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Mail: SMTP when EMAIL_HOST is set. Without it, the console (reset links in the process
# output) only with DEBUG (the demo sets EMAIL_BACKEND itself, smmpanel/cli.py); otherwise
# mail is dropped, password reset and verification say mail is not configured, and
# `check --deploy` fails (deploy_checks.py).
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)  # port 465; else STARTTLS
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=not EMAIL_USE_SSL)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="webmaster@localhost")
# Seconds a mail server may take: one that hangs must not hold a web worker for good.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default=(
        SMTP_EMAIL_BACKEND
        if EMAIL_HOST
        else CONSOLE_EMAIL_BACKEND
        if DEBUG
        else UNCONFIGURED_EMAIL_BACKEND
    ),
)

HUEY = {
    "name": "smmpanel",
    # Explicit: djhuey's default follows DEBUG and would hide concurrency bugs.
    "immediate": env.bool("HUEY_IMMEDIATE", default=False),
    "consumer": {
        "workers": env.int("WORKER_THREADS", default=4),
        "worker_type": "thread",
        "flush_locks": True,
    },
}
if REDIS_URL:
    HUEY |= {"huey_class": "huey.RedisHuey", "url": REDIS_URL}
else:
    # Opened on first use, not at start: smmpanel/embedded_queue.py.
    HUEY |= {
        "huey_class": "smmpanel.embedded_queue.EmbeddedHuey",
        "filename": str(DATA_DIR / "huey.sqlite3"),
    }

# API v2: invalid keys allowed per client IP (a minute's rate, and at once) before every
# keyed request from that IP is refused for a while (api/views.py); 0 turns it off.
API_BAD_KEY_PER_MINUTE = env.int("API_BAD_KEY_PER_MINUTE", default=30)
API_BAD_KEY_BURST = env.int("API_BAD_KEY_BURST", default=30)
# Load shedding (smmpanel/load_shedding.py): requests one server process works on at
# once; past it a request is answered at once "temporarily unavailable" with Retry-After.
# 0 (the default, for runserver and tests) turns it off; deploy/gunicorn.conf.py sets it.
MAX_REQUESTS_IN_FLIGHT = env.int("MAX_REQUESTS_IN_FLIGHT", default=0)
SHED_RETRY_AFTER_SECONDS = env.int("SHED_RETRY_AFTER_SECONDS", default=1)

# Upstream providers (see providers/connection.py and fulfilment/forwarding.py).
PROVIDER_CONNECT_TIMEOUT = env.float("PROVIDER_CONNECT_TIMEOUT", default=5.0)
PROVIDER_READ_TIMEOUT = env.float("PROVIDER_READ_TIMEOUT", default=20.0)
# A whole provider call (connect, send, every byte of the answer) ends by then, however
# slowly the provider trickles: the read timeout above is per read only.
PROVIDER_TOTAL_TIMEOUT = env.float("PROVIDER_TOTAL_TIMEOUT", default=30.0)
# Calls one process may have in flight to one provider; one more is put back to try
# again soon, so a slow provider holds at most this many worker threads (half of them).
PROVIDER_MAX_THREADS = env.int(
    "PROVIDER_MAX_THREADS", default=max(1, HUEY["consumer"]["workers"] // 2)
)
PROVIDER_KEY_SECRET = env.str("PROVIDER_KEY_SECRET", default="")
# How often the sweep looks for due forwarding, status syncs, refills and cancels.
SWEEP_INTERVAL_SECONDS = env.float("SWEEP_INTERVAL_SECONDS", default=3.0)

# Notifications (smmpanel/notifications): staff alerts by email and Telegram, delivered
# by the worker. Telegram is skipped without a bot token; TELEGRAM_API_URL is the Bot API
# base (tests point it at a local server).
STAFF_ALERT_EMAILS = env.list("STAFF_ALERT_EMAILS", default=[])
TELEGRAM_BOT_TOKEN = env.str("TELEGRAM_BOT_TOKEN", default="")
TELEGRAM_CHAT_IDS = env.list("TELEGRAM_CHAT_IDS", default=[])
TELEGRAM_API_URL = env.str("TELEGRAM_API_URL", default="https://api.telegram.org")
# First retry of a failed send after about this many seconds, doubling up to an hour.
NOTIFICATION_RETRY_SECONDS = env.float("NOTIFICATION_RETRY_SECONDS", default=10.0)
# Staff alert thresholds: a provider balance below this (in the panel's currency), orders
# in Fail or with an unknown submission, or Pending, for longer than these minutes, and
# a worker silent for longer than this.
PROVIDER_LOW_BALANCE = env.str("PROVIDER_LOW_BALANCE", default="10.00")
ALERT_FAIL_MINUTES = env.int("ALERT_FAIL_MINUTES", default=30)
ALERT_PENDING_MINUTES = env.int("ALERT_PENDING_MINUTES", default=15)
ALERT_HEARTBEAT_MINUTES = env.int("ALERT_HEARTBEAT_MINUTES", default=5)
# A claimed submission older than this is treated as a crash mid-send (ambiguous).
STALE_CLAIM_SECONDS = env.int("STALE_CLAIM_SECONDS", default=120)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # No secret in a log line: API keys and passwords are masked (logging_filters.py).
    "filters": {"mask_secrets": {"()": "smmpanel.logging_filters.MaskSecrets"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One line per provider call is noise at INFO; failures are logged by our client.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # Django's loggers write through the masked handler too, not Django's default ones;
        # runserver's request lines carry query strings (?key=…).
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # The worker's huey consumer adds a handler of its own to a "huey" logger that has
        # none, and its records then reach the console twice (that handler's and root's),
        # the first copy unmasked. Given the masked handler here, huey adds nothing.
        "huey": {
            "handlers": ["console"],
            "level": env.str("LOG_LEVEL", default="INFO"),
            "propagate": False,
        },
    },
}

# Security. `manage.py check --deploy` is clean with DEBUG=false, a long SECRET_KEY,
# ALLOWED_HOSTS and HTTPS=true (tests/security/test_deploy_settings.py).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# HTTPS=true: the panel is served over TLS (usually a proxy in front sets X-Forwarded-Proto).
HTTPS = env.bool("HTTPS", default=False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
# Off by default: Django's redirect would also catch /api/v2, and a redirected POST loses
# its body (key included). Redirect plain HTTP at the TLS proxy, or not listen on it at all.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SILENCED_SYSTEM_CHECKS: list[str] = []
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("HSTS_INCLUDE_SUBDOMAINS", default=True)
    # Preloading is hard to undo (browsers ship the list): the operator opts in.
    SECURE_HSTS_PRELOAD = env.bool("HSTS_PRELOAD", default=False)
    if not SECURE_SSL_REDIRECT:
        # security.W008 (no SECURE_SSL_REDIRECT): deliberate, see above; HSTS makes
        # browsers use https on their own after the first visit.
        SILENCED_SYSTEM_CHECKS.append("security.W008")
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS.append("security.W021")  # preload is the operator's opt-in
# Content-Security-Policy (django-csp): nothing inline. Behaviour lives in
# web/static/web/panel.js, styles in panel.css; htmx injects no styles (see base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
