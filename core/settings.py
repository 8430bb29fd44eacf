"""One frozen Settings object built from ROOMCAST_* environment variables.

Nothing else in Roomcast reads os.environ: every knob is listed here and in the README table.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

log = logging.getLogger("roomcast.settings")

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DATABASE_SCHEMES = ("sqlite", "postgres", "postgresql", "asyncpg")
REDIS_SCHEMES = ("redis", "rediss", "unix")
DATABASE_FILE = "roomcast.sqlite3"
WEAK_SECRETS = {"secret", "changeme", "change-me", "dev", "development", "test", "password"}
MIN_SECRET_LENGTH = 32
MAX_WS_TOKEN_TTL = 300


class SettingsError(ValueError):
    """A ROOMCAST_* variable is missing or has a value the server cannot run with."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = f"sqlite://{DATABASE_FILE}"
    redis_url: str | None = None
    redis_prefix: str = "roomcast"
    jwt_secret: str = ""
    jwt_secret_generated: bool = False
    access_token_ttl: int = 900
    refresh_token_ttl: int = 14 * 24 * 3600
    ws_token_ttl: int = 60
    token_expiry_warning: int = 30
    allowed_origins: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8000
    rate_limits: bool = True
    max_sockets_per_user: int = 20
    max_body_bytes: int = 1024 * 1024
    max_socket_message_bytes: int = 2 * 1024 * 1024
    max_queue_bytes: int = 4 * 1024 * 1024
    max_connections: int = 4096
    request_timeout: int = 15
    connect_timeout: int = 45
    log_format: str = "text"
    log_level: str = "INFO"
    bench: bool = False
    secure_cookies: bool | None = None
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    # Per-stream event history for replay after a reconnect (docs/recovery.md); 0 = off.
    history_size: int = 1000
    history_ttl: int = 300
    # the cross-node bus (docs/cluster.md)
    bus_outbox_messages: int = 100_000
    bus_outbox_bytes: int = 64 * 1024 * 1024
    bus_stream_maxlen: int = 100_000
    bus_lease_seconds: int = 10
    data_dir: str = ".roomcast"
    drain_seconds: int = 10

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def with_changes(self, **changes) -> Settings:
        """A copy with some fields replaced (tests and the CLI's flags use it)."""
        return replace(self, **changes)


def _bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be on/off (or true/false, 1/0), got {value!r}")


def _int(name: str, value: str, *, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {number}")
    return number


def default_data_dir(environ: Mapping[str, str]) -> Path:
    """Where the SQLite file and the dev secret live when ROOMCAST_DATA_DIR is unset.

    The same place from any working directory: `.roomcast/` in the checkout when Roomcast
    runs from one (an editable install, a clone), else the per-user data directory.
    """
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "pyproject.toml").is_file() and (checkout / "migrations").is_dir():
        return checkout / ".roomcast"
    base = environ.get("XDG_DATA_HOME", "").strip() or str(Path.home() / ".local" / "share")
    return Path(base) / "roomcast"


def sqlite_path(database_url: str) -> Path | None:
    """The file of an SQLite URL (None for other databases and for :memory:)."""
    if not database_url.startswith("sqlite://"):
        return None
    path = database_url[len("sqlite://") :].split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path)


def _database_url(value: str, data_dir: Path) -> str:
    url = value.strip()
    if not url:
        return f"sqlite://{data_dir / DATABASE_FILE}"
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in DATABASE_SCHEMES:
        raise SettingsError(
            "ROOMCAST_DATABASE_URL must be sqlite://PATH or postgres://USER@HOST:PORT/DB, "
            f"got {url!r}"
        )
    return url


def _redis_url(value: str) -> str | None:
    url = value.strip()
    if not url:
        return None
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in REDIS_SCHEMES:
        raise SettingsError(
            f"ROOMCAST_REDIS_URL must be redis://HOST:PORT/DB (or rediss://, unix://), got {url!r}"
        )
    return url


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def is_weak_secret(secret: str) -> bool:
    """Too short, a known word, a repeated pattern (`a`x32, `changeme`x4, `0123456789abcdef`x2),
    a known word making up most of it, or too few distinct characters."""
    lowered = secret.lower()
    if len(secret) < MIN_SECRET_LENGTH or lowered in WEAK_SECRETS:
        return True
    for unit in range(1, len(secret) // 2 + 1):
        if len(secret) % unit == 0 and secret[:unit] * (len(secret) // unit) == secret:
            return True
    for word in WEAK_SECRETS | {"roomcast", "secret", "qwerty", "letmein", "admin"}:
        if lowered.count(word) * len(word) * 2 >= len(secret):
            return True
    return len(set(secret)) < 10


def default_max_connections() -> int:
    """What the fd limit allows, less a reserve for the database, Redis, logs and /health."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, ValueError, OSError):  # pragma: no cover - not POSIX
        return 4096
    if soft == resource.RLIM_INFINITY:
        return 16384
    return max(8, min(65536, int(soft * 0.8) - 64))


def _dev_secret(path: Path) -> str:
    """A generated secret kept beside the SQLite file so that the CLI and restarts agree."""
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(48)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read every ROOMCAST_* variable, validate it, and return the frozen Settings."""
    env = os.environ if environ is None else environ
    get = env.get
    mode = get("ROOMCAST_ENV", "development").strip().lower()
    if mode not in {"development", "production", "test"}:
        raise SettingsError(f"ROOMCAST_ENV must be development, production or test, got {mode!r}")

    secret = get("ROOMCAST_JWT_SECRET", "").strip()
    generated = False
    if mode == "production":
        if not secret:
            raise SettingsError(
                "ROOMCAST_JWT_SECRET is required when ROOMCAST_ENV=production "
                f"(use at least {MIN_SECRET_LENGTH} random characters, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        if is_weak_secret(secret):
            raise SettingsError(
                f"ROOMCAST_JWT_SECRET is too weak for production: use at least "
                f"{MIN_SECRET_LENGTH} random characters"
            )
    data_dir = Path(get("ROOMCAST_DATA_DIR", "").strip() or default_data_dir(env))
    if mode != "production" and not secret:
        secret_file = data_dir / "dev-secret"
        secret = _dev_secret(secret_file)
        generated = True

    origins = tuple(o.strip().rstrip("/") for o in get("ROOMCAST_ALLOWED_ORIGINS", "").split(","))
    origins = tuple(o for o in origins if o)
    if "*" in origins:
        raise SettingsError("ROOMCAST_ALLOWED_ORIGINS may not contain '*': list the origins")

    log_format = get("ROOMCAST_LOG_FORMAT", "text").strip().lower()
    if log_format not in {"text", "json"}:
        raise SettingsError(f"ROOMCAST_LOG_FORMAT must be text or json, got {log_format!r}")

    secure = get("ROOMCAST_SECURE_COOKIES")
    ws_ttl = _int("ROOMCAST_WS_TOKEN_TTL", get("ROOMCAST_WS_TOKEN_TTL", "60"), low=1, high=300)
    return Settings(
        env=mode,
        database_url=_database_url(get("ROOMCAST_DATABASE_URL", ""), data_dir),
        redis_url=_redis_url(get("ROOMCAST_REDIS_URL", "")),
        data_dir=str(data_dir),
        redis_prefix=get("ROOMCAST_REDIS_PREFIX", "roomcast").strip() or "roomcast",
        jwt_secret=secret,
        jwt_secret_generated=generated,
        access_token_ttl=_int(
            "ROOMCAST_ACCESS_TOKEN_TTL", get("ROOMCAST_ACCESS_TOKEN_TTL", "900"), low=5, high=86400
        ),
        refresh_token_ttl=_int(
            "ROOMCAST_REFRESH_TOKEN_TTL",
            get("ROOMCAST_REFRESH_TOKEN_TTL", str(14 * 24 * 3600)),
            low=60,
            high=365 * 24 * 3600,
        ),
        ws_token_ttl=ws_ttl,
        allowed_origins=origins,
        host=get("ROOMCAST_HOST", "127.0.0.1").strip(),
        port=_int("ROOMCAST_PORT", get("ROOMCAST_PORT", "8000"), low=0, high=65535),
        rate_limits=_bool("ROOMCAST_RATE_LIMITS", get("ROOMCAST_RATE_LIMITS", "on")),
        max_sockets_per_user=_int(
            "ROOMCAST_MAX_SOCKETS_PER_USER",
            get("ROOMCAST_MAX_SOCKETS_PER_USER", "20"),
            low=1,
            high=100000,
        ),
        max_body_bytes=_int(
            "ROOMCAST_MAX_BODY_BYTES",
            get("ROOMCAST_MAX_BODY_BYTES", str(1024 * 1024)),
            low=1024,
            high=1 << 30,
        ),
        max_queue_bytes=_int(
            "ROOMCAST_MAX_QUEUE_BYTES",
            get("ROOMCAST_MAX_QUEUE_BYTES", str(4 * 1024 * 1024)),
            low=64 * 1024,
            high=1 << 30,
        ),
        max_connections=_int(
            "ROOMCAST_MAX_CONNECTIONS",
            get("ROOMCAST_MAX_CONNECTIONS", str(default_max_connections())),
            low=8,
            high=1_000_000,
        ),
        request_timeout=_int(
            "ROOMCAST_REQUEST_TIMEOUT", get("ROOMCAST_REQUEST_TIMEOUT", "15"), low=1, high=3600
        ),
        connect_timeout=_int(
            "ROOMCAST_CONNECT_TIMEOUT", get("ROOMCAST_CONNECT_TIMEOUT", "45"), low=1, high=3600
        ),
        log_format=log_format,
        log_level=_choice(
            "ROOMCAST_LOG_LEVEL", get("ROOMCAST_LOG_LEVEL", "INFO").strip().upper(), LOG_LEVELS
        ),
        bench=_bool("ROOMCAST_BENCH", get("ROOMCAST_BENCH", "0")),
        secure_cookies=None if secure is None else _bool("ROOMCAST_SECURE_COOKIES", secure),
        drain_seconds=_int(
            "ROOMCAST_DRAIN_SECONDS", get("ROOMCAST_DRAIN_SECONDS", "10"), low=1, high=300
        ),
        trusted_proxies=tuple(
            p.strip()
            for p in get("ROOMCAST_TRUSTED_PROXIES", "127.0.0.1,::1").split(",")
            if p.strip()
        ),
        history_size=_int(
            "ROOMCAST_HISTORY_SIZE", get("ROOMCAST_HISTORY_SIZE", "1000"), low=0, high=1_000_000
        ),
        history_ttl=_int(
            "ROOMCAST_HISTORY_TTL", get("ROOMCAST_HISTORY_TTL", "300"), low=1, high=7 * 86400
        ),
        bus_outbox_messages=_int(
            "ROOMCAST_BUS_OUTBOX_MESSAGES",
            get("ROOMCAST_BUS_OUTBOX_MESSAGES", "100000"),
            low=100,
            high=10_000_000,
        ),
        bus_outbox_bytes=_int(
            "ROOMCAST_BUS_OUTBOX_BYTES",
            get("ROOMCAST_BUS_OUTBOX_BYTES", str(64 * 1024 * 1024)),
            low=64 * 1024,
            high=1 << 34,
        ),
        bus_stream_maxlen=_int(
            "ROOMCAST_BUS_STREAM_MAXLEN",
            get("ROOMCAST_BUS_STREAM_MAXLEN", "100000"),
            low=1000,
            high=100_000_000,
        ),
        bus_lease_seconds=_int(
            "ROOMCAST_BUS_LEASE_SECONDS", get("ROOMCAST_BUS_LEASE_SECONDS", "10"), low=2, high=3600
        ),
    )


def warn_about(settings: Settings) -> None:
    """Log the start-up warnings an operator must see."""
    if settings.jwt_secret_generated:
        log.warning(
            "ROOMCAST_JWT_SECRET is not set: using a generated development secret stored in "
            "%s. Set ROOMCAST_JWT_SECRET for anything but local development.",
            Path(settings.data_dir) / "dev-secret",
        )
    if not settings.rate_limits:
        log.warning("ROOMCAST_RATE_LIMITS=off: every rate limit is disabled")
    if settings.bench:
        log.warning("ROOMCAST_BENCH=1: the /bench namespace is enabled (benchmarks only)")
