"""The folder tree is the architecture: these imports would break it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions" / "ticketing"


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("path", sorted(FUNCTIONS.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_lambda_code_never_imports_cdk_the_local_runtime_or_test_tools(path):
    assert not imported_modules(path) & {"aws_cdk", "constructs", "infra", "local_runtime", "moto", "pytest", "jsii"}


@pytest.mark.parametrize("path", sorted((FUNCTIONS / "domain").rglob("*.py")), ids=lambda p: p.name)
def test_the_domain_does_no_io(path):
    assert not imported_modules(path) & {"boto3", "botocore", "urllib", "http", "socket", "requests", "subprocess"}


@pytest.mark.parametrize("path", sorted(FUNCTIONS.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_agents_package_touches_strands(path):
    if path.parent.name == "agents":
        return
    assert "strands" not in imported_modules(path)


def local_runtime_imports(path: Path) -> set[str]:
    """The local_runtime modules `path` imports, relatively or by full name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.level == 1:
                found.add(node.module.split(".")[0])
            elif node.module.startswith("local_runtime."):
                found.add(node.module.split(".")[1])
    return found


@pytest.mark.parametrize(
    "name", ["aws_hooks", "http_api", "lambda_host", "task_tokens", "interception", "outbox", "template"]
)
def test_the_local_runtimes_parts_do_not_reach_back_into_the_runtime(name):
    """runtime.py wires its parts; a part that imported it would depend on all the others."""
    assert "runtime" not in local_runtime_imports(ROOT / "local_runtime" / f"{name}.py")


def ticketing_imports(path: Path) -> set[str]:
    """The `ticketing` packages and modules a file imports, relative imports resolved (e.g. `adapters`, `api`)."""
    package = path.relative_to(FUNCTIONS).parts[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = list(package[: len(package) - (node.level - 1)])
            parts = base + (node.module.split(".") if node.module else [])
            if parts:
                found.add(parts[0])
            else:  # `from . import x` at the package root
                found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ticketing."):
            found.add(node.module.split(".")[1])
    return found


# What each layer may not import: the logic knows ports, not AWS; the domain knows nothing of the layers
# around it; only the API layer speaks HTTP (Powertools' resolver) and only handlers wire AWS.
FORBIDDEN = {
    "domain": {"adapters", "agents", "logic", "api", "handlers", "bootstrap", "ports", "settings", "observability"},
    "logic": {"adapters", "api", "handlers", "bootstrap"},
    "agents": {"adapters", "logic", "api", "handlers", "bootstrap"},
    "adapters": {"logic", "api", "handlers", "bootstrap"},
    "api": {"adapters", "handlers", "bootstrap"},
}
THIRD_PARTY_FORBIDDEN = {
    "domain": {"boto3", "botocore", "aws_lambda_powertools"},
    "logic": {"boto3", "botocore", "aws_lambda_powertools"},
}


@pytest.mark.parametrize(
    "path",
    sorted(p for layer in FORBIDDEN for p in (FUNCTIONS / layer).rglob("*.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_each_layer_imports_only_what_lies_beneath_it(path):
    layer = path.relative_to(FUNCTIONS).parts[0]
    assert not ticketing_imports(path) & FORBIDDEN[layer]
    assert not imported_modules(path) & THIRD_PARTY_FORBIDDEN.get(layer, set())


def test_the_layering_check_sees_relative_imports():
    # A probe: the check above must catch `from ..adapters import x` in a logic module.
    probe = FUNCTIONS / "logic" / "workflow_tasks.py"
    assert "ports" in ticketing_imports(probe) and "domain" in ticketing_imports(probe)
