"""The `roomcast` command line: serve, cluster, migrate, seed-demo, create-user, token,
send-alert, and the terminal client: watch, call (the commands: server/cli_data.py and
server/cli_run.py; what they share: server/cli_support.py).

Every sub-command reads its configuration from ROOMCAST_* variables (server.settings); the
flags only override a few of them. Expected failures (bad settings, a conflict, an unknown
user, an unreachable or malformed database URL) print one line to stderr and exit with 2.
"""

from __future__ import annotations

import argparse
import sys

from server.cli_data import cmd_create_user, cmd_migrate, cmd_seed_demo, cmd_send_alert, cmd_token
from server.cli_run import cmd_call, cmd_cluster, cmd_serve, cmd_watch
from server.cli_support import EXIT_ERROR, describe, expected_errors

# --- parsing ------------------------------------------------------------------------------


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
    from core.settings import Settings

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
    except expected_errors() as exc:
        print(f"roomcast {args.command}: error: {describe(exc)}", file=sys.stderr)
        code = EXIT_ERROR
    sys.exit(code)


if __name__ == "__main__":
    main()
