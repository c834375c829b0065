"""Synthesizes the CDK app (bundling off) and returns the stack's CloudFormation template."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from infra.app import STACK_NAME, build_app


def synthesize(context: dict[str, Any] | None = None) -> dict[str, Any]:
    """The template of the stack that `cdk deploy` would deploy, with `context` applied."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    with tempfile.TemporaryDirectory(prefix="supportflow-synth-") as outdir:
        app = build_app({"aws:cdk:bundling-stacks": [], **(context or {})}, outdir=outdir)
        template: dict[str, Any] = app.synth().get_stack_by_name(STACK_NAME).template
    return template
