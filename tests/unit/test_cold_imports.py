"""Functions that never call a model never load Strands (it costs ~1 s of cold start)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ticketing.contract import Env

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from ticketing.handlers import analyze, api, approval_monitor, close_ticket, execute, find_resolution, request_approval
from ticketing.bootstrap import AwsServices
assert AwsServices(api.SETTINGS).language_model is None
print(sorted(m for m in sys.modules if m == "strands" or m.startswith("strands.")))
"""
# What the stack sets (every handler checks its names at import), with no model.
ENV = {
    "PYTHONPATH": str(ROOT / "functions"),
    "PATH": "/usr/bin:/bin",
    **{name.value: "x" for name in Env},
    "MODEL_ID": "none",
    "APPROVAL_LINK_TTL_SECONDS": "3600",
    "APPROVAL_TIMEOUT_SECONDS": "3600",
}


def test_no_handler_imports_strands_until_a_model_is_configured():
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


def test_the_probe_would_see_strands_if_it_were_imported():
    done = subprocess.run(
        [sys.executable, "-c", PROBE.replace("import sys\n", "import sys\nimport strands\n", 1)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=ENV,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "'strands'" in done.stdout
