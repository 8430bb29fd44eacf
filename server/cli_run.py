"""`roomcast` sub-commands that run something: serve, cluster, and the terminal client."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from core.settings import load_settings
from server.cli_support import (
    CliError,
    database_label,
    prepare_sqlite_dir,
    refuse_demo_in_production,
    with_database,
)


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
        refuse_demo_in_production(settings)
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
            prepare_sqlite_dir(settings)
            await apply_migrations(settings.database_url)
        if args.demo:
            return await with_database(settings, seed_demo)
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
