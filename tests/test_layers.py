"""The layers point down only (docs/architecture.md): a module imports its own layer or lower.

    root      server.app, server.runtime, commands     builds everything, hands it down
    doors     server.api, server.http, namespaces      parse -> action -> render
    actions   actions, server.broadcast, presence      one function per use case; emits
    infra     the rest of server/                      history, bus, rate limits, tokens
    models    models                                   Tortoise models and services
    core      core                                     errors, identity, settings, auth

Imports under `if TYPE_CHECKING:` are annotations only and do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "models", "actions", "server", "namespaces")
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("core",)),
    ("models", ("models",)),
    ("infra", ("server",)),
    ("actions", ("actions", "server.broadcast", "server.presence")),
    ("doors", ("server.api", "server.http", "namespaces")),
    (
        "root",
        (
            "server.app",
            "server.asgi",
            "server.runtime",
            "server.cli",
            "server.cli_data",
            "server.cli_run",
            "server.cli_support",
            "server.client_cli",
            "server.serve",
            "server.cluster",
            "server.cluster_nginx",
            "server.cluster_procs",
            "server.demo",
            "server.seeds",
            "server.send_alert",
            "server.migrate",
        ),
    ),
]
# Old names kept for other branches' imports: the module object is core's (server/errors.py).
SHIMS = {"server.errors", "server.auth", "server.settings"}


def layer_of(module: str) -> int | None:
    best: tuple[int, int] | None = None
    for index, (_name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".")
            if matches and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    if module in SHIMS:
        return 0
    return None if best is None else best[0]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def upward_imports() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            mine = layer_of(module_name(path))
            for line, target in imported(ast.parse(path.read_text())):
                if target.split(".")[0] not in PACKAGES:
                    continue
                theirs = layer_of(target)
                if mine is not None and theirs is not None and theirs > mine:
                    found.append(
                        f"{path.relative_to(ROOT)}:{line} ({LAYERS[mine][0]}) imports "
                        f"{target} ({LAYERS[theirs][0]})"
                    )
    return sorted(set(found))


def test_no_module_imports_a_layer_above_its_own():
    assert upward_imports() == []


def test_core_imports_nothing_of_the_project():
    for path in sorted((ROOT / "core").rglob("*.py")):
        for line, target in imported(ast.parse(path.read_text())):
            top = target.split(".")[0]
            assert top == "core" or top not in PACKAGES, f"{path.name}:{line} imports {target}"


def test_the_walker_sees_an_upward_import():
    tree = ast.parse("from server.api import blueprints\n")
    targets = [target for _line, target in imported(tree)]
    assert layer_of("models.dns") < layer_of(targets[0])
