"""Synthesizes the CDK app (bundling off) and returns the stack's CloudFormation template.

A synthesis costs seconds (jsii starts Node), and a process that starts several local
stacks (the tests: one per module) asks for the same context again and again, so each
distinct context is synthesized once per process; every caller gets its own copy.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
import threading
from typing import Any

from infra.app import STACK_NAME, build_app

_lock = threading.Lock()
_templates: dict[str, dict[str, Any]] = {}


def synthesize(context: dict[str, Any] | None = None) -> dict[str, Any]:
    """The template of the stack that `cdk deploy` would deploy, with `context` applied."""
    key = json.dumps(context or {}, sort_keys=True, default=str)
    with _lock:
        if key not in _templates:
            _templates[key] = _synthesize(context or {})
        return copy.deepcopy(_templates[key])


def _synthesize(context: dict[str, Any]) -> dict[str, Any]:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    with tempfile.TemporaryDirectory(prefix="supportflow-synth-") as outdir:
        app = build_app({"aws:cdk:bundling-stacks": [], **context}, outdir=outdir)
        template: dict[str, Any] = app.synth().get_stack_by_name(STACK_NAME).template
    return template
