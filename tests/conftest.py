"""Shared fixtures: synthesized templates (once per distinct context per session) and sample tickets."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from ticketing.domain.models import Ticket  # noqa: E402


def make_ticket(
    description: str = "My internet connection keeps dropping every few minutes.", **overrides: Any
) -> Ticket:
    values: dict[str, Any] = {
        "ticket_id": "tkt-20261125-0123456789ab",
        "customer_id": "cust-1",
        "customer_email": "jo@example.com",
        "subject": "",
        "description": description,
        "submitted_at": datetime(2026, 11, 25, 9, 0, tzinfo=UTC),
    }
    values.update(overrides)
    return Ticket(**values)


Context = dict[str, Any]


@pytest.fixture(scope="session")
def cloud_assembly_for(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Context], Path]:
    """`cdk synth` (bundling off) into a directory, once per distinct context per session.

    Each synthesis drives the CDK in jsii's Node process (a fraction of a second on a quiet machine,
    seconds on a busy one), so tests that need the same context share one. The directory holds the
    template and cdk-nag's report; synthesis raises on any unacknowledged finding.
    """
    from infra.app import build_app

    made: dict[str, Path] = {}

    def assembly(context: Context) -> Path:
        key = json.dumps(context, sort_keys=True)
        if key not in made:
            out = tmp_path_factory.mktemp("cdk.out")
            build_app({"bundling": "off", **context}, outdir=str(out)).synth()
            made[key] = out
        return made[key]

    return assembly


@pytest.fixture(scope="session")
def template_for(cloud_assembly_for: Callable[[Context], Path]) -> Callable[[Context], dict[str, Any]]:
    """The stack's CloudFormation template for a context; each call returns a fresh copy to read or change."""
    from infra.app import STACK_NAME

    def template(context: Context) -> dict[str, Any]:
        found: dict[str, Any] = json.loads((cloud_assembly_for(context) / f"{STACK_NAME}.template.json").read_text())
        return found

    return template


@pytest.fixture
def template(template_for: Callable[[Context], dict[str, Any]]) -> dict[str, Any]:
    """The stack's CloudFormation template with the default context (cdk.json's values aside)."""
    return template_for({})
