"""The nginx half of `roomcast cluster`: find the binary, render the local config, check it.

The config is deploy/nginx/local.conf.template (the local twin of deploy/nginx/roomcast.conf)
with its `{{name}}` placeholders filled in; nginx runs from the cluster's state directory with
`daemon off;`, its pid file, logs and temp files inside that directory.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1] / "deploy" / "nginx" / "local.conf.template"
DEFAULT_NGINX = "/usr/sbin/nginx"
INSTALL_HINT = "install it with `apt-get install -y nginx` (Debian/Ubuntu) or pass --nginx PATH"
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


class ClusterError(Exception):
    """A one-line reason why the cluster cannot start."""


def find_nginx(explicit: str | None = None) -> str:
    """The nginx binary: --nginx, else /usr/sbin/nginx, else `nginx` on PATH."""
    if explicit:
        found = shutil.which(explicit) if os.sep not in explicit else explicit
        if not found or not os.access(found, os.X_OK):
            raise ClusterError(f"nginx not found at {explicit!r}: {INSTALL_HINT}")
        return found
    if os.access(DEFAULT_NGINX, os.X_OK):
        return DEFAULT_NGINX
    found = shutil.which("nginx")
    if found is None:
        raise ClusterError(
            f"nginx is not installed (not at {DEFAULT_NGINX}, not on PATH): {INSTALL_HINT}"
        )
    return found


def render(template: str, values: dict[str, object]) -> str:
    """Fill every `{{name}}`; a placeholder without a value is an error, not an empty string."""

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise ClusterError(f"the nginx template needs a value for {{{{{name}}}}}")
        return str(values[name])

    return _PLACEHOLDER.sub(fill, template)


def user_directive() -> str:
    """As root, nginx would switch its worker to `nobody` (which cannot reach a private state
    directory): keep the worker as the invoking user. Otherwise no directive (nginx ignores it)."""
    if os.geteuid() != 0:
        return "# not root: the worker runs as the invoking user"
    import grp
    import pwd

    user = pwd.getpwuid(os.geteuid()).pw_name
    group = grp.getgrgid(os.getegid()).gr_name
    return f"user {user} {group};  # a local tool started as root: the worker stays {user}"


def write_config(
    state_dir: Path,
    *,
    listen: str,
    upstreams: Sequence[str],
    max_body_bytes: int,
    max_socket_message_bytes: int,
    template: Path = TEMPLATE,
) -> Path:
    """Render the local config into `state_dir/nginx.conf` (creating logs/ and temp/)."""
    if not template.is_file():
        raise ClusterError(f"the nginx template {template} is missing (a source checkout has it)")
    for sub in ("logs", "temp"):
        (state_dir / sub).mkdir(parents=True, exist_ok=True)
    servers = "\n".join(
        f"        server {address} max_fails=3 fail_timeout=10s;" for address in upstreams
    )
    text = render(
        template.read_text(),
        {
            "state_dir": state_dir,
            "user_directive": user_directive(),
            "listen": listen,
            "upstream_servers": servers,
            "max_body_bytes": max_body_bytes,
            "max_socket_message_bytes": max_socket_message_bytes,
        },
    )
    path = state_dir / "nginx.conf"
    path.write_text(text)
    return path


def command(
    nginx: str, config: Path, state_dir: Path, *extra: str, error_log: str = ""
) -> list[str]:
    """`nginx -c CONFIG -p PREFIX -e ERRORLOG` (-e keeps nginx off /var/log before it reads -c)."""
    error_log = error_log or str(state_dir / "logs" / "error.log")
    return [nginx, "-c", str(config), "-p", f"{state_dir}/", "-e", error_log, *extra]


def check_config(nginx: str, config: Path, state_dir: Path) -> None:
    """`nginx -t` on the rendered file; its own message when it is refused."""
    try:
        done = subprocess.run(
            command(nginx, config, state_dir, "-t", "-q", error_log="stderr"),
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ClusterError(f"could not run {nginx} -t: {exc}") from None
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise ClusterError(f"nginx refused {config}: {message[-1] if message else 'no output'}")
