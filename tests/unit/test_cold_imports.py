"""Handlers load the heavy SDKs only when they use them.

Strands costs ~1 s of cold start and loads only once a model is configured; the
bedrock-agentcore SDK costs ~0.2 s and loads only when a conversation is read or written.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.bench import STACK_ENVIRONMENT

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from ticketing.handlers import analyze, api, approval_monitor, close_ticket, execute, find_resolution, request_approval
from ticketing.handlers import record_confirmation, request_confirmation
from ticketing.bootstrap import AwsServices
assert AwsServices(api.SETTINGS).language_model is None
print(sorted(m for m in sys.modules if m.split(".")[0] in {"strands", "bedrock_agentcore"}))
"""
# What the stack sets (every handler checks its names at import), with no model.
ENV = {"PYTHONPATH": str(ROOT / "functions"), "PATH": "/usr/bin:/bin", **STACK_ENVIRONMENT}


def test_no_handler_imports_strands_or_the_agentcore_sdk_at_start():
    # A fresh interpreter: other tests import strands into this one.
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=ENV,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("package", ["strands", "bedrock_agentcore.memory"])
def test_the_probe_would_see_the_sdk_if_it_were_imported(package):
    done = subprocess.run(
        [sys.executable, "-c", PROBE.replace("import sys\n", f"import sys\nimport {package}\n", 1)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=ENV,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert f"'{package}'" in done.stdout
