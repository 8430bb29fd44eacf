"""The `roomcast` command line: serve, cluster, migrate, seed-demo, create-user, token,
send-alert, and the terminal client: watch, call.

Every sub-command reads its configuration from ROOMCAST_* variables (server.settings); the
flags only override a few of them. Expected failures (bad settings, a conflict, an unknown
user, an unreachable or malformed database URL) print one line to stderr and exit with 2.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable

from server.errors import RoomcastError
from server.settings import Settings, SettingsError, load_settings, sqlite_path

EXIT_ERROR = 2


class CliError(Exception):
    """A one-line message for the user."""


def _expected_errors() -> tuple[type[BaseException], ...]:
    from tortoise.exceptions import BaseORMException

    errors: list[type[BaseException]] = [
        CliError,
        SettingsError,
        RoomcastError,
        BaseORMException,
        OSError,
    ]
    try:
        import asyncpg

        errors += [asyncpg.PostgresError, asyncpg.InterfaceError]
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        pass
    return tuple(errors)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RoomcastError):
        message = exc.message
        if exc.fields:
            details = ", ".join(f"{key}: {value}" for key, value in exc.fields.items())
            message = f"{message} ({details})"
        return message
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def database_label(settings: Settings) -> str:
    """The database as a person would name it: the SQLite file, or the URL sans password."""
    path = sqlite_path(settings.database_url)
    if path is not None:
        return str(path.resolve())
    url = settings.database_url
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        url = f"{scheme}://{credentials.split(':', 1)[0]}@{host}"
    return url


def _prepare_sqlite_dir(settings: Settings) -> None:
    path = sqlite_path(settings.database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def _missing_table(exc: BaseException) -> str | None:
    text = str(exc)
    for marker in ("no such table: ", "relation "):
        if marker in text and ("no such table" in text or "does not exist" in text):
            return text.split(marker, 1)[1].split()[0].strip('"')
    return None


async def _with_database(settings: Settings, work: Callable[[], Awaitable[object]]) -> object:
    """Run `work` with the database open; a database that was never migrated is one clear line.

    Opening an absent SQLite file would silently create an empty one: refuse that instead.
    """
    from server.db import close_database, open_database

    path = sqlite_path(settings.database_url)
    if path is not None and not path.exists():
        raise CliError(f"no database at {path.resolve()}: run `roomcast migrate` first")
    await open_database(settings.database_url)
    try:
        return await work()
    except Exception as exc:
        table = _missing_table(exc)
        if table is None:
            raise
        raise CliError(
            f"no such table: {table} in {database_label(settings)}: run `roomcast migrate`"
        ) from None
    finally:
        await close_database()


def _refuse_demo_in_production(settings: Settings) -> None:
    if settings.is_production:
        raise CliError(
            "the demo users have published passwords: refusing to create them with "
            "ROOMCAST_ENV=production (make real accounts with `roomcast create-user`)"
        )


# --- sub-commands -------------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace) -> int:
    from server.migrate import apply_migrations

    settings = load_settings()
    _prepare_sqlite_dir(settings)
    applied = asyncio.run(apply_migrations(settings.database_url))
    print(f"database: {database_label(settings)}")
    if applied:
        for name in applied:
            print(f"applied {name}")
    else:
        print("database is up to date")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from server.demo import seed_demo

    settings = load_settings()
    _refuse_demo_in_production(settings)
    created = asyncio.run(_with_database(settings, seed_demo))
    for demo in created:
        print(f"created {demo.email} (password {demo.password})")
    if not created:
        print("demo data already present")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from models.users import create_user

    password = args.password
    if password is None:
        if not sys.stdin.isatty():
            raise CliError("no --password given and stdin is not a terminal to ask for one")
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password (again): ") != password:
            raise CliError("the passwords do not match")
    settings = load_settings()

    async def work():
        return await create_user(
            email=args.email,
            password=password,
            first_name=args.first_name,
            last_name=args.last_name,
            is_staff=args.staff,
        )

    user = asyncio.run(_with_database(settings, work))
    print(user.id)
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from models.logins import start_login
    from models.users import User
    from server.errors import NotFound

    settings = load_settings()
    if args.ttl is not None:
        if args.ttl < 1:
            raise CliError("--ttl must be at least 1 second")
        settings = settings.with_changes(access_token_ttl=args.ttl)
    who = args.user.strip()

    async def work():
        if who.isdigit():
            user = await User.get_or_none(id=int(who))
        else:
            user = await User.get_or_none(email=who.lower())
        if user is None:
            raise NotFound("user", message=f"no user {who!r}")
        if not user.is_active:
            raise CliError(f"user {user.email} is deactivated")
        return await start_login(settings=settings, user=user, kind="cli")

    pair = asyncio.run(_with_database(settings, work))
    print(pair.access_token)
    return 0


def cmd_send_alert(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from models.alerts import NewAlert
    from server.errors import invalid_from
    from server.send_alert import send_through_redis, send_through_server

    settings = load_settings()
    user_id = asyncio.run(_with_database(settings, lambda: _user_id_of(args.user)))
    try:
        payload = NewAlert.model_validate(
            {
                "user_id": user_id,
                "breach_id": args.breach_id,
                "title": args.title,
                "severity": args.severity.upper(),
                "confidence": args.confidence,
            }
        )
    except ValidationError as exc:
        raise invalid_from(exc) from None
    if settings.redis_url:
        alert = asyncio.run(send_through_redis(settings, payload))
    else:
        url = args.server_url or f"http://{settings.host}:{settings.port}"
        alert = asyncio.run(send_through_server(settings, payload, url))
    print(f"alert {alert['id']} sent to user {alert['user_id']} ({args.user.strip()})")
    return 0


async def _user_id_of(who: str) -> int:
    """A user id from an id or an email, so that `send-alert alice@example.com` works."""
    from models.users import User
    from server.errors import NotFound

    who = who.strip()
    if who.isdigit():
        user = await User.get_or_none(id=int(who))
    else:
        user = await User.get_or_none(email=who.lower())
    if user is None:
        raise NotFound("user", message=f"user {who!r} not found (give an email or a user id)")
    return user.id


def _client_credentials(args: argparse.Namespace):
    from server.client_cli import Credentials

    if args.token and args.email:
        raise CliError("give either --token or --email/--password, not both")
    password = args.password
    if args.email and password is None:
        if not sys.stdin.isatty():
            raise CliError("--email needs --password (stdin is not a terminal to ask for one)")
        password = getpass.getpass(f"Password for {args.email}: ")
    return Credentials(email=args.email, password=password, token=args.token)


def cmd_watch(args: argparse.Namespace) -> int:
    from server import client_cli

    try:
        opts = client_cli.WatchOptions(
            url=args.url,
            namespace=client_cli.check_namespace(args.namespace),
            creds=_client_credentials(args),
            emits=client_cli.parse_emits(args.emit),
            until=args.until,
            timeout=args.timeout,
        )
        return asyncio.run(client_cli.watch(opts))
    except client_cli.ClientError as exc:
        raise CliError(str(exc)) from None


def cmd_call(args: argparse.Namespace) -> int:
    from server import client_cli

    try:
        opts = client_cli.CallOptions(
            url=args.url,
            namespace=client_cli.check_namespace(args.namespace),
            creds=_client_credentials(args),
            event=args.event,
            data=client_cli.parse_json(args.payload, what=f"the payload of {args.event}"),
            emits=client_cli.parse_emits(args.emit),
            ack_timeout=args.timeout,
        )
        return asyncio.run(client_cli.call(opts))
    except client_cli.ClientError as exc:
        raise CliError(str(exc)) from None


def cmd_serve(args: argparse.Namespace) -> int:
    from server import serve
    from server.logs import configure_logging

    settings = load_settings()
    changes = {}
    if args.host is not None:
        changes["host"] = args.host
    if args.port is not None:
        if not 0 <= args.port <= 65535:
            raise CliError(f"--port must be between 0 and 65535, got {args.port}")
        changes["port"] = args.port
    if changes:
        settings = settings.with_changes(**changes)
    if args.demo:
        _refuse_demo_in_production(settings)
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    # The port first: a busy port must stop us before migrating or printing passwords.
    try:
        sock = serve.bind(settings.host, settings.port)
    except serve.PortBusy as exc:
        raise CliError(str(exc)) from None
    url = serve.public_url(sock)

    async def prepare() -> list:
        from server.demo import seed_demo
        from server.migrate import apply_migrations

        if not args.no_migrate:
            _prepare_sqlite_dir(settings)
            await apply_migrations(settings.database_url)
        if args.demo:
            return await _with_database(settings, seed_demo)
        return []

    try:
        asyncio.run(prepare())
    except BaseException:
        sock.close()
        raise
    print(f"database: {database_label(settings)}", flush=True)
    if args.demo:
        from server.demo import demo_table

        print(demo_table(f"{url}/"), flush=True)

    from server.app import create_asgi
    from server.asgi import UVICORN_OPTIONS

    serve.run(create_asgi(settings), settings, sock, UVICORN_OPTIONS)
    return 0


def cmd_cluster(args: argparse.Namespace) -> int:
    from server.cluster import ClusterError, ClusterOptions, run_cluster
    from server.logs import configure_logging

    settings = load_settings()
    configure_logging(log_format=settings.log_format, level="WARNING")
    for flag, value in (("--port", args.port), ("--base-port", args.base_port)):
        if not 0 <= value <= 65535:
            raise CliError(f"{flag} must be between 0 and 65535, got {value}")
    if args.stop_timeout <= 0:
        raise CliError(f"--stop-timeout must be positive, got {args.stop_timeout}")
    if args.demo and settings.is_production:
        raise CliError(
            "--demo creates users with published passwords: not with ROOMCAST_ENV=production"
        )
    options = ClusterOptions(
        nodes=args.nodes,
        host=args.host,
        port=args.port,
        base_port=args.base_port,
        redis_url=args.redis_url,
        database_url=args.database_url,
        demo=args.demo,
        state_dir=args.state_dir,
        nginx=args.nginx,
        stop_timeout=args.stop_timeout,
    )
    try:
        return run_cluster(options, settings)
    except ClusterError as exc:
        raise CliError(str(exc)) from None


def _add_cluster_command(sub) -> None:
    cluster = sub.add_parser(
        "cluster",
        help="run N nodes on one database and Redis behind a local nginx until Ctrl-C",
        description="Migrate once, start N `roomcast serve` nodes on 127.0.0.1 (ports "
        "BASE_PORT, BASE_PORT+1, ...) sharing ROOMCAST_DATABASE_URL and ROOMCAST_REDIS_URL, "
        "and nginx in front of them (deploy/nginx/local.conf.template) on --port. "
        "Ctrl-C or SIGTERM stops nginx and every node.",
    )
    cluster.add_argument("nodes", type=int, metavar="N", help="how many nodes (1-64)")
    cluster.add_argument(
        "--port", type=int, default=8080, help="nginx port (default 8080; 0: any free)"
    )
    cluster.add_argument(
        "--host", default="127.0.0.1", help="address nginx listens on (default 127.0.0.1)"
    )
    cluster.add_argument(
        "--base-port", type=int, default=8001, help="first node port (default 8001; 0: any free)"
    )
    cluster.add_argument("--redis-url", help="Redis for every node (default ROOMCAST_REDIS_URL)")
    cluster.add_argument(
        "--database-url", help="PostgreSQL for every node (default ROOMCAST_DATABASE_URL)"
    )
    cluster.add_argument("--demo", action="store_true", help="create demo users if missing")
    cluster.add_argument("--state-dir", help="config, pid and logs (default: a new temp dir)")
    cluster.add_argument("--nginx", help="nginx binary (default /usr/sbin/nginx, then PATH)")
    cluster.add_argument(
        "--stop-timeout",
        type=float,
        default=20.0,
        help="seconds the nodes get to stop before they are killed (default 20)",
    )
    cluster.set_defaults(func=cmd_cluster)


# --- parsing ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="roomcast",
        description="Roomcast server. Configuration comes from ROOMCAST_* environment variables.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="apply migrations and run the server")
    serve.add_argument("--host", help="interface to listen on (default: ROOMCAST_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (default: ROOMCAST_PORT)")
    serve.add_argument("--demo", action="store_true", help="create demo users if missing")
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations")
    serve.set_defaults(func=cmd_serve)
    _add_cluster_command(sub)

    migrate = sub.add_parser("migrate", help="apply pending migrations to ROOMCAST_DATABASE_URL")
    migrate.set_defaults(func=cmd_migrate)

    seed = sub.add_parser("seed-demo", help="create the demo data that is missing")
    seed.set_defaults(func=cmd_seed_demo)

    create = sub.add_parser("create-user", help="create a user and print its id")
    create.add_argument("email")
    create.add_argument("--password", help="asked for on the terminal when omitted")
    create.add_argument("--staff", action="store_true", help="make the user staff")
    create.add_argument("--first-name", default="")
    create.add_argument("--last-name", default="")
    create.set_defaults(func=cmd_create_user)

    token = sub.add_parser("token", help="sign a user in and print an access token")
    token.add_argument("user", metavar="USER_ID_OR_EMAIL")
    token.add_argument("--ttl", type=int, help="lifetime in seconds (default: access token TTL)")
    token.set_defaults(func=cmd_token)

    alert = sub.add_parser(
        "send-alert",
        help="store a breach alert and push it to the user's sockets on every node",
        description="With ROOMCAST_REDIS_URL the alert is emitted through Redis; without it, "
        "the running server is asked over REST (signed in as the first staff user).",
    )
    alert.add_argument("user", metavar="USER_EMAIL_OR_ID")
    alert.add_argument("--title", required=True)
    alert.add_argument("--severity", default="MEDIUM", help="LOW, MEDIUM, HIGH or CRITICAL")
    alert.add_argument("--confidence", type=float, default=1.0, help="0 to 1 (default 1)")
    alert.add_argument("--breach-id", default="cli", help="free-form breach reference")
    alert.add_argument(
        "--server-url", help="without Redis: the server to ask (default ROOMCAST_HOST:PORT)"
    )
    alert.set_defaults(func=cmd_send_alert)
    _add_client_commands(sub)
    return parser


def _add_client_options(command: argparse.ArgumentParser) -> None:
    from server.settings import Settings

    command.add_argument("namespace", metavar="NAMESPACE", help="/alerts, /dns, /chat, ...")
    command.add_argument(
        "--url",
        default=f"http://{Settings.host}:{Settings.port}",
        help="the server (default: %(default)s)",
    )
    command.add_argument("--email", help="sign in as this user (ws-tokens, refreshed tokens)")
    command.add_argument("--password", help="asked for on the terminal when omitted")
    command.add_argument("--token", help="present this access token instead of signing in")
    command.add_argument(
        "--emit",
        nargs=2,
        action="append",
        metavar=("EVENT", "JSON"),
        help="emit EVENT with the JSON payload after connecting (repeatable), "
        "e.g. --emit subscribe '{\"zone_id\": 1}'",
    )


def _add_client_commands(sub) -> None:
    watch = sub.add_parser(
        "watch",
        help="print every event of a namespace as JSON lines until Ctrl-C",
        description="Connect to NAMESPACE, emit the --emit events after every (re)connect "
        "(subscribe, join), and print each received event as one JSON line with a timestamp.",
    )
    _add_client_options(watch)
    watch.add_argument("--until", metavar="EVENT", help="exit 0 after printing this event")
    watch.add_argument(
        "--timeout", type=float, help="exit 1 after this many seconds (default: never)"
    )
    watch.set_defaults(func=cmd_watch)

    call = sub.add_parser(
        "call",
        help="emit one event with an ack and print the ack (exit 0 when ok, 1 otherwise)",
        description="Connect to NAMESPACE, emit the --emit events (each must be ok), then "
        "EVENT with the JSON payload; print the ack as JSON.",
    )
    _add_client_options(call)
    call.add_argument("event", metavar="EVENT")
    call.add_argument("payload", metavar="JSON", nargs="?", default="{}")
    call.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for each ack (default 10)"
    )
    call.set_defaults(func=cmd_call)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
    except KeyboardInterrupt:
        code = 130
    except _expected_errors() as exc:
        print(f"roomcast {args.command}: error: {_describe(exc)}", file=sys.stderr)
        code = EXIT_ERROR
    sys.exit(code)


if __name__ == "__main__":
    main()
