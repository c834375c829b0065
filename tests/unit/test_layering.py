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
